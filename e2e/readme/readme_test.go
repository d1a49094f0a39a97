// Package readme runs the command blocks of the repository's README.md,
// in order, against a flowlab dev, so that the README cannot drift from
// what the binary does (decision 0025).
//
// THE CONVENTION (README.md states it too, in a comment at its top):
//
//   - Every fenced block of README.md has an info string (```sh, ```text,
//     ```yaml…); a bare ``` fence fails the test, so that no block's fate
//     is left implicit.
//   - A ```sh (or ```bash) block is commands: the test runs it.
//   - A ```sh block that must not run carries, on the line just above its
//     fence, the marker
//     <!-- readme-test: skip: REASON -->
//     (starting flowlab dev itself, which the test starts in the
//     background; go test itself; docker compose; settings for production
//     processes). Output samples and file formats use another info string
//     (```text, ```yaml, ```json) and are never run.
//
// How the blocks run: one bash session (set -Eeuo pipefail), blocks in
// README order, so that a variable set in one block is there in the next.
// The working directory is a temporary directory whose .flowlab is the
// data dir of a flowlab dev the test starts on free ports
// (--addr 127.0.0.1:0 --temporal-port 0), so that the test can run beside
// others; FLOWLAB_SERVER is that dev's address (the README's blocks read
// it, defaulting to 127.0.0.1:8080). PATH starts with a directory holding
// the freshly built flowlab, and two stand-ins for a person's desktop:
// EDITOR (removes the version: line and raises the flow's SLA from 6h to
// 8h, the edit the README describes) and xdg-open (checks that the file is
// an SVG). curl, jq and bash are needed (CI=true fails without them).
//
// A failure names the README.md line of the failing command, its block and
// exit status, with the session's output. A jq filter naming a field the
// API no longer has prints null: a line of output that is only null fails
// the block too (a "field": null inside an object can be a real value).
package readme

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowlab/flowlab/e2e/cluster"
)

// SkipMarker is the line that keeps the ```sh block below it from running.
const SkipMarker = "<!-- readme-test: skip:"

// Block is a fenced block of README.md.
type Block struct {
	Line  int    // line of the opening fence (1-based)
	Info  string // the fence's info string: sh, text, yaml…
	Skip  string // the skip marker's reason, if any
	Lines []string
}

// Runs tells whether the test runs the block.
func (b Block) Runs() bool { return (b.Info == "sh" || b.Info == "bash") && b.Skip == "" }

var fence = regexp.MustCompile("^(\\s*)(```+)\\s*(\\S*)")

// ParseBlocks finds the fenced blocks of a Markdown file; a fence without
// an info string, an unclosed fence or a skip marker above anything but a
// ```sh block is an error naming its line.
func ParseBlocks(md []byte) ([]Block, error) {
	var (
		out     []Block
		cur     *Block
		indent  string
		prev    string
		lineNum int
	)
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lineNum++
		line := sc.Text()
		m := fence.FindStringSubmatch(line)
		switch {
		case cur == nil && m != nil:
			if m[3] == "" {
				return nil, fmt.Errorf("README.md:%d: a fenced block without an info string: write ```sh for commands the README test runs, ```text for output (see the comment at the top of README.md)", lineNum)
			}
			cur = &Block{Line: lineNum, Info: m[3]}
			indent = m[1]
			if p := strings.TrimSpace(prev); strings.HasPrefix(p, SkipMarker) {
				cur.Skip = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(p, SkipMarker), "-->"))
				if cur.Skip == "" {
					return nil, fmt.Errorf("README.md:%d: a skip marker without a reason", lineNum-1)
				}
				if cur.Info != "sh" && cur.Info != "bash" {
					return nil, fmt.Errorf("README.md:%d: a skip marker above a ```%s block, which never runs anyway", lineNum-1, cur.Info)
				}
			}
		case cur != nil && m != nil && m[3] == "":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.Lines = append(cur.Lines, strings.TrimPrefix(line, indent))
		}
		prev = line
	}
	if cur != nil {
		return nil, fmt.Errorf("README.md:%d: the fenced block is never closed", cur.Line)
	}
	return out, sc.Err()
}

// Script is the bash script of the blocks that run, with the README line
// of each of its lines.
type Script struct {
	Text       string
	ReadmeLine map[int]int // script line → README.md line
	BlockOf    map[int]int // script line → README.md line of the block's fence
}

// scriptHeader makes the session stop at the first failing command and
// record where (the ERR trap also fires inside $(…), first one wins;
// inherit_errexit makes a failure inside $(…) stop the session too).
const scriptHeader = `set -Eeuo pipefail
shopt -s inherit_errexit
trap 'rc=$?; [ -s "$READMETEST_FAIL" ] || printf "%s %s %s\n" "$LINENO" "$rc" "$BASH_COMMAND" > "$READMETEST_FAIL"' ERR
`

// BuildScript concatenates the blocks that run.
func BuildScript(blocks []Block) Script {
	s := Script{ReadmeLine: map[int]int{}, BlockOf: map[int]int{}}
	var b strings.Builder
	b.WriteString(scriptHeader)
	n := strings.Count(scriptHeader, "\n")
	for _, bl := range blocks {
		if !bl.Runs() {
			continue
		}
		n++
		fmt.Fprintf(&b, "printf '\\n== README.md:%d\\n'\n", bl.Line)
		s.BlockOf[n], s.ReadmeLine[n] = bl.Line, bl.Line
		for i, l := range bl.Lines {
			n++
			b.WriteString(l + "\n")
			s.ReadmeLine[n] = bl.Line + 1 + i
			s.BlockOf[n] = bl.Line
		}
	}
	b.WriteString("printf '\\n" + allBlocksRan + "\\n'\n")
	s.Text = b.String()
	return s
}

// allBlocksRan is the session's last line: without it a block that ended
// the session early (an exit 0, an unclosed heredoc) would pass unseen.
const allBlocksRan = "== README.md: all blocks ran"

// TestReadmeBlocksFollowTheConvention: every block is classified, so a
// command block cannot silently go unrun. No server needed.
func TestReadmeBlocksFollowTheConvention(t *testing.T) {
	md, err := os.ReadFile(readmePath(t))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := ParseBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, b := range blocks {
		if b.Runs() {
			runs++
		}
	}
	if runs < 8 {
		t.Fatalf("only %d README blocks run; the walkthroughs are ```sh blocks", runs)
	}
	if !strings.Contains(string(md), "<!-- README test:") {
		t.Fatal("README.md's top comment on the convention of its blocks is missing")
	}
}

// TestParseBlocks: the parser's refusals.
func TestParseBlocks(t *testing.T) {
	for _, c := range []struct{ md, err string }{
		{"a\n```\nls\n```\n", "README.md:2: a fenced block without an info string"},
		{"```sh\nls\n", "README.md:1: the fenced block is never closed"},
		{"<!-- readme-test: skip: -->\n```sh\nls\n```\n", "README.md:1: a skip marker without a reason"},
		{"<!-- readme-test: skip: output -->\n```text\nls\n```\n", "README.md:1: a skip marker above a ```text block"},
	} {
		_, err := ParseBlocks([]byte(c.md))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: got %v, want %q", c.md, err, c.err)
		}
	}
	blocks, err := ParseBlocks([]byte("x\n```sh\necho a\n```\n<!-- readme-test: skip: the server -->\n```sh\nflowlab dev\n```\n  ```yaml\n  a: 1\n  ```\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 || !blocks[0].Runs() || blocks[1].Runs() || blocks[1].Skip != "the server" || blocks[2].Info != "yaml" || blocks[2].Lines[0] != "a: 1" {
		t.Fatalf("%+v", blocks)
	}
	s := BuildScript(blocks)
	if !strings.Contains(s.Text, "echo a\n") || strings.Contains(s.Text, "flowlab dev") {
		t.Fatal(s.Text)
	}
}

// TestReadmeCommandBlocks runs the README's command blocks against a
// flowlab dev.
func TestReadmeCommandBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the binary")
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the README test needs %s (CI=true)", tool)
			}
			t.Skipf("the README test needs %s", tool)
		}
	}
	md, err := os.ReadFile(readmePath(t))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := ParseBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	script := BuildScript(blocks)

	bin := cluster.Binary(t)
	work := t.TempDir()
	binDir := filepath.Join(work, ".bin")
	must(t, os.MkdirAll(binDir, 0o755))
	must(t, os.Symlink(bin, filepath.Join(binDir, "flowlab")))
	must(t, os.WriteFile(filepath.Join(binDir, "readme-editor"), []byte("#!/bin/sh\n"+
		"# The edit the README describes: leave out version:, change something (the case SLA).\n"+
		"set -e\ngrep -q '^version:' \"$1\"\ngrep -q '^sla: 6h$' \"$1\"\nsed -i -e '/^version:/d' -e 's/^sla: 6h$/sla: 8h/' \"$1\"\n"), 0o755))
	must(t, os.WriteFile(filepath.Join(binDir, "xdg-open"), []byte("#!/bin/sh\n"+
		"# Stands in for the desktop's viewer: the file must be an SVG.\n"+
		"head -c 400 \"$1\" | grep -q '<svg' || { echo \"xdg-open: $1 is not an SVG\" >&2; exit 1; }\n"), 0o755))

	// flowlab dev on free ports, data in the work dir's .flowlab (the
	// README reads .flowlab/admin-token).
	dataDir := filepath.Join(work, ".flowlab")
	devLog, err := os.Create(filepath.Join(work, "dev.log"))
	must(t, err)
	defer devLog.Close()
	env := append(os.Environ(), "FLOWLAB_ADMIN_TOKEN=", "FLOWLAB_TOKEN=", "FLOWLAB_SERVER=", "FLOWLAB_DATA=", "FLOWLAB_LOG_LEVEL=warn")
	dev := exec.Command(bin, "dev", "--data", dataDir, "--addr", "127.0.0.1:0", "--temporal-port", "0")
	dev.Dir, dev.Env, dev.Stdout, dev.Stderr = work, env, devLog, devLog
	dev.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must(t, dev.Start())
	defer func() {
		_ = syscall.Kill(-dev.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = dev.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-dev.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	server := waitForDev(t, filepath.Join(work, "dev.log"))

	t.Run("a second dev on the same data says what to do", func(t *testing.T) {
		out, err := exec.Command(bin, "dev", "--data", dataDir, "--addr", "127.0.0.1:0", "--temporal-port", "0").CombinedOutput()
		if code := exitCode(err); code != 2 || !bytes.Contains(out, []byte("is in use by another flowlab dev (pid "+strconv.Itoa(dev.Process.Pid)+")")) ||
			!bytes.Contains(out, []byte("--data DIR")) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		out, err = exec.Command(bin, "dev", "--data", t.TempDir(), "--addr", strings.TrimPrefix(server, "http://"), "--temporal-port", "0").CombinedOutput()
		if code := exitCode(err); code != 2 || !bytes.Contains(out, []byte("(--addr): something else already listens there")) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})

	failFile := filepath.Join(work, ".readme-fail")
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-c", script.Text)
	sh.Dir = work
	// curl reports a 4xx or 5xx answer as a failure (exit 22), not only
	// the body; a block that shows a refusal on purpose says curl -q.
	must(t, os.WriteFile(filepath.Join(work, ".curlrc"), []byte("fail-with-body\n"), 0o644))
	sh.Env = append(env, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "FLOWLAB_SERVER="+server,
		"EDITOR=readme-editor", "READMETEST_FAIL="+failFile, "NO_COLOR=1", "CURL_HOME="+work)
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sh.Cancel = func() error { return syscall.Kill(-sh.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &out
	start := time.Now()
	runErr := sh.Run()
	t.Logf("README blocks ran in %s", time.Since(start).Round(time.Second))
	failed, _ := os.ReadFile(failFile)
	if runErr != nil || len(failed) > 0 || !strings.Contains(out.String(), allBlocksRan) {
		where := "README.md: the session ended before its last block"
		if len(failed) > 0 {
			f := strings.SplitN(strings.TrimSpace(string(failed)), " ", 3)
			ln, _ := strconv.Atoi(f[0])
			where = fmt.Sprintf("README.md:%d (the block at line %d): exit status %s of: %s", script.ReadmeLine[ln], script.BlockOf[ln], f[1], f[2])
		}
		if ctx.Err() != nil {
			where += " (the blocks did not finish within 6 minutes)"
		}
		t.Fatalf("%s\n--- session output (tail):\n%s\n--- flowlab dev log (tail):\n%s", where, tail(out.String(), 80), tailFile(filepath.Join(work, "dev.log"), 30))
	}
	// jq -r .field of a field the API no longer has prints a bare null.
	block := 0
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "== README.md:") {
			block, _ = strconv.Atoi(strings.TrimPrefix(l, "== README.md:"))
		}
		if strings.TrimSpace(l) == "null" {
			t.Errorf("the block at README.md:%d printed a null (a jq filter naming a field the answer lacks?): %q", block, l)
		}
	}
	if t.Failed() {
		t.Logf("--- session output:\n%s", tail(out.String(), 200))
	}
}

// waitForDev waits for flowlab dev's banner and returns its API address.
func waitForDev(t *testing.T, logPath string) string {
	t.Helper()
	re := regexp.MustCompile(`API:\s+(http://[0-9.:]+)/api/v1`)
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(logPath)
		if m := re.FindSubmatch(b); m != nil {
			server := string(m[1])
			for time.Now().Before(deadline) {
				if res, err := http.Get(server + "/healthz"); err == nil {
					var h struct{ Status, Mode string }
					_ = json.NewDecoder(res.Body).Decode(&h)
					res.Body.Close()
					if h.Mode == "dev" {
						return server
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("flowlab dev did not start within 3 minutes:\n%s", tailFile(logPath, 40))
	return ""
}

func readmePath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	return tail(string(b), n)
}
