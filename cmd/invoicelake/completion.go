package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Shell completion. The scripts are thin: on TAB they run
// `invoicelake __complete WORD...` (the words after the program's name,
// the last one being completed, possibly empty), which prints a directive
// line and then the candidates, one per line as "value<TAB>description".
// The directive is ":file" or ":dir" (let the shell complete paths) or
// ":words" (the candidates). So the logic lives here, in Go, derived from
// the same flag sets the commands parse, and the scripts never drift.

// flagValues are the values of the flags that take one of a few.
var flagValues = map[string][]string{
	"log-level":  {"debug", "info", "warn", "error"},
	"log-format": {"auto", "text", "json"},
	"pii":        {"drop", "hash", "keep"},
	"reconcile":  {"mark", "fail"},
}

// pathFlags are the flags whose value is a file (":file") or a folder
// (":dir"); --out and --location also take s3:// URLs, which no shell
// completes.
var pathFlags = map[string]string{
	"config":   ":file",
	"html":     ":file",
	"out":      ":dir",
	"location": ":dir",
}

var shells = []string{"bash", "zsh", "fish"}

// completeCmd is the hidden `__complete WORD...`.
func (m *Main) completeCmd(_ context.Context, args []string) error {
	if m.introspect != nil {
		return m.parseFlags(flag.NewFlagSet("__complete", flag.ContinueOnError), nil)
	}
	directive, cands := m.complete(args)
	fmt.Fprintln(m.Stdout, directive)
	for _, c := range cands {
		fmt.Fprintln(m.Stdout, c)
	}
	return nil
}

// complete returns the directive and the candidates for the last word of
// words (the command line after the program's name).
func (m *Main) complete(words []string) (string, []string) {
	if len(words) == 0 {
		words = []string{""}
	}
	cur := words[len(words)-1]
	prior := words[:len(words)-1]
	match := func(cands []string) (string, []string) {
		var out []string
		for _, c := range cands {
			v, _, _ := strings.Cut(c, "\t")
			if strings.HasPrefix(v, cur) {
				out = append(out, c)
			}
		}
		return ":words", out
	}
	if len(prior) == 0 {
		var cands []string
		for _, c := range commands() {
			first, _, _ := strings.Cut(c.name, " ")
			if !c.hidden && !slices.ContainsFunc(cands, func(s string) bool { return strings.HasPrefix(s, first+"\t") }) {
				sum := c.summary
				if first == "ddl" {
					sum = "DDL for Athena or DuckDB"
				}
				cands = append(cands, first+"\t"+sum)
			}
		}
		return match(cands)
	}
	switch prior[0] {
	case "help":
		if len(prior) == 1 {
			return match(commandNames())
		}
		if prior[1] == "ddl" && len(prior) == 2 {
			return match([]string{"athena", "duckdb"})
		}
		return ":words", nil
	case "completion":
		if len(prior) == 1 {
			return match(shells)
		}
		return ":words", nil
	case "ddl":
		if len(prior) == 1 {
			return match([]string{"athena\tCREATE EXTERNAL TABLE and views for Athena", "duckdb\tDuckDB views over the lake"})
		}
	}
	c, n, ok := findCommand(prior)
	if !ok || c.hidden {
		return ":words", nil
	}
	fs := m.flagsOf(c)
	// The value of a flag: the word before is the flag, or cur is --flag=.
	name, eq := "", false
	if len(prior) > n {
		if f := flagName(prior[len(prior)-1]); f != "" && !strings.Contains(prior[len(prior)-1], "=") && !isBool(fs, f) {
			name = f
		}
	}
	if name == "" && strings.HasPrefix(cur, "-") && strings.Contains(cur, "=") {
		name, eq = flagName(cur), true
	}
	if name != "" && fs.Lookup(name) != nil {
		if vals, ok := flagValues[name]; ok {
			if eq {
				prefix, _, _ := strings.Cut(cur, "=")
				var out []string
				for _, v := range vals {
					out = append(out, prefix+"="+v)
				}
				return match(out)
			}
			return match(vals)
		}
		if d, ok := pathFlags[name]; ok && !eq {
			return d, nil
		}
		return ":words", nil // a value the user types
	}
	// A flag (no command takes a positional argument): those not given yet.
	given := map[string]bool{}
	for _, w := range prior[n:] {
		given[flagName(w)] = true
	}
	var cands []string
	fs.VisitAll(func(f *flag.Flag) {
		if !given[f.Name] {
			_, usage := flag.UnquoteUsage(f)
			cands = append(cands, "--"+f.Name+"\t"+firstClause(usage))
		}
	})
	if !strings.HasPrefix(cur, "-") && cur != "" {
		return ":words", nil
	}
	return match(cands)
}

// flagName returns the name of w if it is a flag (-x, --x, --x=v), else "".
func flagName(w string) string {
	if !strings.HasPrefix(w, "-") || w == "-" || w == "--" {
		return ""
	}
	w = strings.TrimLeft(w, "-")
	name, _, _ := strings.Cut(w, "=")
	return name
}

func isBool(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// firstClause shortens a flag's usage for a completion menu.
func firstClause(s string) string {
	if i := strings.IndexAny(s, "(;:"); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// completionCmd prints the completion script of a shell.
func (m *Main) completionCmd(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("completion", flag.ContinueOnError)
	shell := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		shell, args = args[0], args[1:]
	}
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	script, ok := completionScripts[shell]
	if !ok {
		return usageErrorf("completion: want bash, zsh or fish, e.g. `source <(invoicelake completion bash)`")
	}
	_, err := io.WriteString(m.Stdout, script)
	return err
}

var completionScripts = map[string]string{
	"bash": `# bash completion for invoicelake: source <(invoicelake completion bash)
_invoicelake() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local -a out
    out=($("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
    case ${out[0]} in
    :file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    :dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(printf '%s\n' "${out[@]:1}" | cut -f1)" -- "$cur")) ;;
    esac
}
complete -F _invoicelake invoicelake
`,
	"zsh": `#compdef invoicelake
# zsh completion for invoicelake: source <(invoicelake completion zsh), or save as _invoicelake in $fpath
_invoicelake() {
    local -a out cands
    out=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    case $out[1] in
    :file) _files ;;
    :dir) _files -/ ;;
    *)
        local line
        for line in "${(@)out[2,-1]}"; do
            if [[ $line == *$'\t'* ]]; then
                cands+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
            elif [[ -n $line ]]; then
                cands+=("${line//:/\\:}")
            fi
        done
        _describe -t values invoicelake cands
        ;;
    esac
}
if [[ $funcstack[1] == _invoicelake ]]; then
    _invoicelake "$@"
else
    compdef _invoicelake invoicelake
fi
`,
	"fish": `# fish completion for invoicelake: invoicelake completion fish > ~/.config/fish/completions/invoicelake.fish
function __invoicelake_complete
    set -l words (commandline -opc)
    set -l out (command $words[1] __complete $words[2..-1] (commandline -ct) 2>/dev/null)
    switch "$out[1]"
        case :file
            __fish_complete_path (commandline -ct)
        case :dir
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\n' $out[2..-1]
    end
end
complete -c invoicelake -f -a '(__invoicelake_complete)'
`,
}
