//go:build cgo

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMainChild is not a test: it is the program, run as a child process
// (`invoicelake` on PATH is a script that runs this test binary with
// INVOICELAKE_MAIN_CHILD=1 and the command line after --), so that shell
// completion is tested through real shells without building the binary.
func TestMainChild(t *testing.T) {
	if os.Getenv("INVOICELAKE_MAIN_CHILD") == "" {
		t.Skip("only run as a child process by the shell tests")
	}
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, LookupEnv: os.LookupEnv}
	os.Exit(m.Run(context.Background(), flag.Args()))
}

// childOnPath puts an `invoicelake` that runs TestMainChild first on PATH
// and returns the environment for a shell.
func childOnPath(t *testing.T) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nINVOICELAKE_MAIN_CHILD=1 exec %q -test.run='^TestMainChild$' -- \"$@\"\n", exe)
	if err := os.WriteFile(filepath.Join(dir, "invoicelake"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
}

// visibleCommands are the commands a user can ask help for.
func visibleCommands() []command {
	var out []command
	for _, c := range commands() {
		if !c.hidden {
			out = append(out, c)
		}
	}
	return out
}

// TestHelpEveryCommand: -h, --help and `help COMMAND` print the same
// help, on stdout, exit 0, and it names every flag the command parses,
// with an example.
func TestHelpEveryCommand(t *testing.T) {
	for _, c := range visibleCommands() {
		t.Run(c.name, func(t *testing.T) {
			words := strings.Fields(c.name)
			var first string
			for i, args := range [][]string{
				append(slices.Clone(words), "--help"),
				append(slices.Clone(words), "-h"),
				append([]string{"help"}, words...),
			} {
				code, stdout, stderr := env{}.run(t, t.Context(), nil, args...)
				if code != exitOK || stderr != "" {
					t.Fatalf("%q: exit %d, stderr %q; want 0 and nothing", args, code, stderr)
				}
				if i == 0 {
					first = stdout
				} else if stdout != first {
					t.Errorf("%q prints another help than %q:\n%s\n---\n%s", args, args[:len(words)+1], stdout, first)
				}
			}
			if !strings.HasPrefix(first, "Usage: invoicelake "+c.name) {
				t.Errorf("help starts %q, want Usage: invoicelake %s", first[:min(len(first), 60)], c.name)
			}
			if !strings.Contains(first, "\nExamples:\n  invoicelake "+c.name) {
				t.Errorf("help of %s has no example:\n%s", c.name, first)
			}
			var m Main
			m.flagsOf(c).VisitAll(func(f *flag.Flag) {
				if !strings.Contains(first, "\n  --"+f.Name+" ") && !strings.Contains(first, "\n  --"+f.Name+"\n") {
					t.Errorf("help of %s does not list --%s:\n%s", c.name, f.Name, first)
				}
			})
		})
	}
	t.Run("defaults from the configuration", func(t *testing.T) {
		_, out, _ := env{}.run(t, t.Context(), nil, "serve", "--help")
		out = strings.Join(strings.Fields(out), " ") // unwrapped
		for _, want := range []string{"--rate NUMBER", "default 40; source.rate_per_second", "--listen ADDR",
			"default 127.0.0.1:9090; schedule.listen", "--schedule SPEC", "default CRON_TZ=UTC 17 3 * * *; schedule.cron",
			"--log-level LEVEL", "default info; log.level", "--max-periods N", "default 240; lake.max_periods"} {
			if !strings.Contains(out, want) {
				t.Errorf("serve --help lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("usage lists every command", func(t *testing.T) {
		code, out, _ := env{}.run(t, t.Context(), nil, "--help")
		if code != exitOK {
			t.Fatalf("--help: exit %d", code)
		}
		for _, c := range visibleCommands() {
			if !strings.Contains(out, "\n  "+c.name+" ") {
				t.Errorf("usage does not list %s:\n%s", c.name, out)
			}
		}
		if code, _, stderr := (env{}).run(t, t.Context(), nil); code != exitUsage || !strings.Contains(stderr, "help COMMAND") {
			t.Errorf("no arguments: exit %d, stderr %q: want 2 and the usage", code, stderr)
		}
	})
}

// TestHelpExamplesParse: every example in the help parses with the
// command's own flags (a renamed flag breaks its example here).
func TestHelpExamplesParse(t *testing.T) {
	var m Main
	for _, c := range visibleCommands() {
		for _, ex := range c.examples {
			words := shellWords(ex)
			if i := slices.IndexFunc(words, func(w string) bool { return w == ">" || w == "&&" || w == "|" }); i >= 0 {
				words = words[:i]
			}
			if len(words) == 0 || words[0] != "invoicelake" {
				t.Errorf("%s: example %q does not start with invoicelake", c.name, ex)
				continue
			}
			got, n, ok := findCommand(words[1:])
			if !ok || got.name != c.name {
				t.Errorf("%s: example %q runs another command", c.name, ex)
				continue
			}
			args := words[1+n:]
			if c.name == "completion" || c.name == "help" {
				continue // positional arguments, checked by their own tests
			}
			fs := m.flagsOf(c)
			fs.SetOutput(io.Discard)
			if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
				t.Errorf("%s: example %q: %v %q", c.name, ex, err, fs.Args())
			}
		}
	}
}

// shellWords splits s at spaces, keeping single-quoted strings whole.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// TestSuggestions: a mistyped command or flag exits 2 with one line that
// names the one meant and where the help is.
func TestSuggestions(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string // "" for no suggestion
	}{
		{[]string{"exprot"}, "did you mean export?"},
		{[]string{"serv"}, "did you mean serve?"},
		{[]string{"verfiy"}, "did you mean verify?"},
		{[]string{"frobnicate"}, ""},
		{[]string{"export", "--form", "2024-01"}, "unknown flag --form (did you mean --from?)"},
		{[]string{"export", "-form", "2024-01"}, "unknown flag --form (did you mean --from?)"},
		{[]string{"run", "--confg", "x.yaml"}, "did you mean --config?"},
		{[]string{"serve", "--lisen", ":9"}, "did you mean --listen?"},
		{[]string{"report", "--tpo", "3"}, "did you mean --top?"},
		{[]string{"ddl", "duckdb", "--locaton", "x"}, "did you mean --location?"},
		{[]string{"export", "--dry"}, "did you mean --dry-run?"},
		{[]string{"export", "--zzzzzzzz"}, ""},
		{[]string{"export", "--schedule", "@daily"}, "unknown flag --schedule (a flag of serve, not of export)"},
		{[]string{"export", "--from"}, "--from needs a value"},
		{[]string{"export", "--rate", "fast"}, `invalid value "fast" for flag --rate`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := env{}.run(t, t.Context(), nil, tt.args...)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q: want 2 and nothing", code, stdout)
			}
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if tt.want == "" {
				if strings.Contains(stderr, "did you mean") {
					t.Errorf("stderr %q suggests something for a word close to nothing", stderr)
				}
			} else if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
			if !strings.Contains(stderr, "invoicelake help") && !strings.Contains(stderr, "--help") {
				t.Errorf("stderr %q does not say where the help is", stderr)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"form", "from", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"listen", "listen", 0}, {"ab", "ba", 1},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestLakeMustBeNamed: a pipeline command without --out or --config says
// what it needs and touches no ./lake.
func TestLakeMustBeNamed(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	e := env{"SL_USERNAME": "u", "SL_API_KEY": "k", "SL_ENDPOINT_URL": "http://127.0.0.1:1/rest/v3.1/"}
	for _, args := range [][]string{
		{"run"}, {"run", "--dry-run"}, {"serve"}, {"verify"}, {"export", "--from", "2026-01", "--to", "2026-01"}, {"report"},
	} {
		code, _, stderr := e.run(t, t.Context(), nil, args...)
		if code != exitUsage || !strings.Contains(stderr, "--out is required") || !strings.Contains(stderr, "--config") {
			t.Errorf("%q: exit %d, stderr %q: want 2 saying --out or --config is needed", args, code, stderr)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("the commands wrote %v into the working folder", ents)
	}
}

// TestComplete: what TAB offers, in Go (the scripts only relay it).
func TestComplete(t *testing.T) {
	var m Main
	for _, tt := range []struct {
		words     []string
		directive string
		want      []string // values, exactly (nil: none)
	}{
		{[]string{""}, ":words", []string{"export", "run", "serve", "verify", "report", "ddl", "version", "help", "completion"}},
		{[]string{"ex"}, ":words", []string{"export"}},
		{[]string{"ddl", ""}, ":words", []string{"athena", "duckdb"}},
		{[]string{"help", "re"}, ":words", []string{"report"}},
		{[]string{"completion", ""}, ":words", []string{"bash", "zsh", "fish"}},
		{[]string{"export", "--fr"}, ":words", []string{"--from"}},
		{[]string{"export", "--from", "2024-01", "--fr"}, ":words", nil},
		{[]string{"export", "--log-level", ""}, ":words", []string{"debug", "info", "warn", "error"}},
		{[]string{"export", "--log-format=j"}, ":words", []string{"--log-format=json"}},
		{[]string{"run", "--pii", "h"}, ":words", []string{"hash"}},
		{[]string{"run", "--config", ""}, ":file", nil},
		{[]string{"report", "--html", "r"}, ":file", nil},
		{[]string{"verify", "--out", ""}, ":dir", nil},
		{[]string{"ddl", "duckdb", "--location", ""}, ":dir", nil},
		{[]string{"ddl", "duckdb", "--"}, ":words", []string{"--location"}},
		{[]string{"serve", "--li"}, ":words", []string{"--listen"}},
		{[]string{"export", "--from", ""}, ":words", nil},
		{[]string{"export", "--dry-run", "--al"}, ":words", []string{"--allow-shrink"}},
		{[]string{"frobnicate", ""}, ":words", nil},
	} {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			d, cands := m.complete(tt.words)
			var got []string
			for _, c := range cands {
				v, _, _ := strings.Cut(c, "\t")
				got = append(got, v)
			}
			if d != tt.directive || !slices.Equal(got, tt.want) {
				t.Errorf("complete(%q) = %s %q, want %s %q", tt.words, d, got, tt.directive, tt.want)
			}
		})
	}
}

// TestCompletionScripts loads each script into its real shell and
// completes through it (the shell runs this test binary as invoicelake).
func TestCompletionScripts(t *testing.T) {
	environ := childOnPath(t)
	work := t.TempDir()
	for _, f := range []string{"a.yaml", "b.yaml", "lakes/x"} {
		writeTestFile(t, filepath.Join(work, f), "x")
	}
	type tcase struct {
		line string // the command line, completed at its end
		want []string
	}
	cases := []tcase{
		{"invoicelake exp", []string{"export"}},
		{"invoicelake export --fr", []string{"--from"}},
		{"invoicelake serve --log-level w", []string{"warn"}},
		{"invoicelake ddl ", []string{"athena", "duckdb"}},
		{"invoicelake run --config ", []string{"a.yaml", "b.yaml", "lakes"}},
		{"invoicelake verify --out ", []string{"lakes"}},
	}
	run := func(t *testing.T, shell string, script string) string {
		t.Helper()
		if _, err := exec.LookPath(shell); err != nil {
			t.Skipf("%s is not installed (apt-get install %s)", shell, shell)
		}
		cmd := exec.Command(shell, "-c", script)
		cmd.Dir, cmd.Env = work, environ
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", shell, err, out)
		}
		return string(out)
	}
	check := func(t *testing.T, tc tcase, out string) {
		t.Helper()
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			v, _, _ := strings.Cut(strings.TrimSpace(l), "\t")
			v = strings.TrimSuffix(v, "/")
			if v != "" && !slices.Contains(got, v) {
				got = append(got, v)
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("%q completes to %q, want %q", tc.line, got, want)
		}
	}
	t.Run("bash", func(t *testing.T) {
		for _, tc := range cases {
			words := strings.Fields(tc.line)
			if strings.HasSuffix(tc.line, " ") {
				words = append(words, "")
			}
			var q []string
			for _, w := range words {
				q = append(q, fmt.Sprintf("%q", w))
			}
			script := fmt.Sprintf(`source <(invoicelake completion bash) || exit 1
COMP_WORDS=(%s); COMP_CWORD=%d; _invoicelake; printf '%%s\n' "${COMPREPLY[@]}"`, strings.Join(q, " "), len(words)-1)
			check(t, tc, run(t, "bash", script))
		}
	})
	t.Run("zsh", func(t *testing.T) {
		for _, tc := range cases {
			words := strings.Fields(tc.line)
			if strings.HasSuffix(tc.line, " ") {
				words = append(words, "")
			}
			var q []string
			for _, w := range words {
				q = append(q, fmt.Sprintf("%q", w))
			}
			// The completion system's functions, reduced to what they
			// would offer: _describe its values, _files the paths.
			script := fmt.Sprintf(`compdef() { :; }
_describe() { local v; for v in "${(@P)4}"; do print -r -- "${${v%%%%:*}//\\:/:}"; done }
_files() { local cur=${words[CURRENT]}; if [[ $1 == -/ ]]; then print -l -- ${cur}*(N/); else print -l -- ${cur}*(N); fi }
source <(invoicelake completion zsh) || exit 1
words=(%s); CURRENT=%d; _invoicelake`, strings.Join(q, " "), len(words))
			check(t, tc, run(t, "zsh", script))
		}
	})
	t.Run("fish", func(t *testing.T) {
		for _, tc := range cases {
			script := fmt.Sprintf("invoicelake completion fish | source; or exit 1\ncomplete -C %q", tc.line)
			check(t, tc, run(t, "fish", script))
		}
	})
	t.Run("unknown shell", func(t *testing.T) {
		if code, _, stderr := (env{}).run(t, t.Context(), nil, "completion", "tcsh"); code != exitUsage || !strings.Contains(stderr, "bash, zsh or fish") {
			t.Errorf("completion tcsh: exit %d, %q", code, stderr)
		}
	})
}

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVersion: `version` (and --version) prints the version, the commit
// and the build date the linker set (-X main.version=... in the Makefile
// and the Dockerfile).
func TestVersion(t *testing.T) {
	defer func(v, c, d string) { version, commit, buildDate = v, c, d }(version, commit, buildDate)
	version, commit, buildDate = "0.2.0", "0123456789abcdef0123456789abcdef01234567", "2026-07-01T10:00:00Z"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, stderr := env{}.run(t, t.Context(), nil, args...)
		if code != exitOK || stderr != "" {
			t.Fatalf("%q: exit %d, stderr %q", args, code, stderr)
		}
		for _, want := range []string{"invoicelake 0.2.0\n", "commit:  0123456789abcdef0123456789abcdef01234567\n", "built:   2026-07-01T10:00:00Z\n", "go:      go", "schema:  "} {
			if !strings.Contains(out, want) {
				t.Errorf("%q prints %q, lacking %q", args, out, want)
			}
		}
	}
}
