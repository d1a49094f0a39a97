//go:build race

package api

// raceEnabled: the race detector is on. Tests that walk every route once
// per actor skip themselves then: they have no concurrency of their own,
// run in the plain test run, and the detector makes them 30 s long.
const raceEnabled = true
