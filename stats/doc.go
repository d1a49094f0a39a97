// Package stats provides the statistics behind flowlab's pilots (A/B tests of
// flow versions): two-sample tests with effect sizes and confidence
// intervals, a sample-ratio-mismatch check, a group-sequential design with
// O'Brien–Fleming-type alpha spending for repeated looks, and sample sizes.
//
// Conventions shared by every function:
//
//   - Two-sample functions take the control sample first and the treatment
//     sample second; Result.Effect is always treatment minus control, and a
//     positive Result.Statistic means the treatment is larger.
//   - P-values are two-sided.
//   - Functions never panic on bad input; a quantity that is undefined for the
//     input (an empty sample, for instance) is NaN and documented as such.
//     Callers that serialize results (JSON cannot carry NaN) check first.
//
// Every function is checked against an independent implementation: SciPy
// 1.10.1 for the tests, brute force or dense numerical integration in Python
// for the rest (see testdata/reference.py and reference_data_test.go).
package stats
