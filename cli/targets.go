package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
	"github.com/spf13/pflag"
)

// Many targets in one run (--targets FILE): the file, in vegeta's text
// form or as JSON lines, read and checked whole before any load; each
// target's request is built once. docs/targets.md describes the forms.

// targetFlags are --targets, --targets-order and --seed as given.
type targetFlags struct {
	file, order string
	seed        uint64
}

func addTargetFlags(fs *pflag.FlagSet, tf *targetFlags) {
	fs.StringVar(&tf.file, "targets", "", "send the requests of `FILE`, one target after another (vegeta's text form, or JSON lines: method, url, header, body or body_file, weight, name); targets may be on many origins, each with its own -c connections; the URL argument may then be left out")
	fs.StringVar(&tf.order, "targets-order", "round-robin", "how each request's target is picked, `ORDER`: round-robin (in turn), weighted (in turn, each by its weight) or random (by weight, repeatable with --seed)")
	fs.Uint64Var(&tf.seed, "seed", 0, "the seed of --targets-order random: the same `N` gives the same sequence")
}

// fileTarget is one target as read from the file, before its request is
// built; line is where it starts.
type fileTarget struct {
	name    string
	u       *url.URL
	method  string
	headers []loadgen.Header
	body    []byte
	weight  uint32
	line    int
}

// jsonTarget is one line of the JSON form. Body is base64, as vegeta's
// JSON targets have it.
type jsonTarget struct {
	Method   string              `json:"method"`
	URL      string              `json:"url"`
	Header   map[string][]string `json:"header"`
	Body     []byte              `json:"body"`
	BodyFile string              `json:"body_file"`
	Weight   *uint32             `json:"weight"`
	Name     string              `json:"name"`
}

// readTargets reads and checks every target of file: a bad one is one
// line naming the file and its line.
func readTargets(file string) ([]fileTarget, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--targets %q: cannot read it: %v", file, errors.Unwrap(err))
	}
	var ts []fileTarget
	if isJSONTargets(file, b) {
		ts, err = jsonTargets(file, b)
	} else {
		ts, err = textTargets(file, b)
	}
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("--targets %s: no target in it; want METHOD URL lines (or JSON lines with method and url)", file)
	}
	if len(ts) > loadgen.MaxTargets {
		return nil, fmt.Errorf("--targets %s: %d targets; at most %d", file, len(ts), loadgen.MaxTargets)
	}
	return ts, nameTargets(file, ts)
}

// isJSONTargets says whether b is the JSON-lines form: by the file's
// extension, else by its first character that is not a space.
func isJSONTargets(file string, b []byte) bool {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json", ".jsonl", ".ndjson":
		return true
	}
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
}

// textTargets reads vegeta's text form: "METHOD URL", then header lines
// "Name: value", then an optional "@body-file"; targets are separated by
// blank lines; lines starting with # are comments.
func textTargets(file string, b []byte) ([]fileTarget, error) {
	var ts []fileTarget
	var cur *fileTarget
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		at := fmt.Sprintf("--targets %s:%d", file, n)
		switch {
		case strings.HasPrefix(l, "#"):
		case l == "":
			cur = nil
		case cur == nil:
			method, raw, ok := strings.Cut(l, " ")
			if !ok {
				return nil, fmt.Errorf("%s: want \"METHOD URL\", such as GET http://127.0.0.1:8080/", at)
			}
			t, err := newFileTarget(at, method, strings.TrimSpace(raw), n)
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
			cur = &ts[len(ts)-1]
		case strings.HasPrefix(l, "@"):
			if cur.body != nil {
				return nil, fmt.Errorf("%s: a second @body-file for one target; give one", at)
			}
			body, err := readTargetBody(at, l[1:])
			if err != nil {
				return nil, err
			}
			cur.body = body
		default:
			if cur.body != nil {
				return nil, fmt.Errorf("%s: a header after the @body-file; headers come first (or a blank line is missing before the next target)", at)
			}
			hs, err := parseHeaders([]string{l})
			if err != nil {
				return nil, fmt.Errorf("%s: %v", at, strings.TrimPrefix(err.Error(), "--header "))
			}
			cur.headers = append(cur.headers, hs...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--targets %s: %v", file, err)
	}
	return ts, nil
}

// jsonTargets reads the JSON-lines form, one target per line (blank lines
// are skipped).
func jsonTargets(file string, b []byte) ([]fileTarget, error) {
	var ts []fileTarget
	for n, l := range strings.Split(string(b), "\n") {
		at := fmt.Sprintf("--targets %s:%d", file, n+1)
		if strings.TrimSpace(l) == "" {
			continue
		}
		var j jsonTarget
		d := json.NewDecoder(strings.NewReader(l))
		d.DisallowUnknownFields()
		if err := d.Decode(&j); err != nil {
			return nil, fmt.Errorf("%s: %s; want one JSON object per line: method, url, header, body (base64) or body_file, weight, name", at, jsonProblem(err))
		}
		if j.Method == "" {
			j.Method = "GET"
		}
		t, err := newFileTarget(at, j.Method, j.URL, n+1)
		if err != nil {
			return nil, err
		}
		if j.Weight != nil {
			if *j.Weight == 0 {
				return nil, fmt.Errorf("%s: weight 0; want 1 or more (leave the target out to send it none)", at)
			}
			t.weight = *j.Weight
		}
		for name, vs := range j.Header {
			for _, v := range vs {
				hs, err := parseHeaders([]string{name + ": " + v})
				if err != nil {
					return nil, fmt.Errorf("%s: header %v", at, strings.TrimPrefix(err.Error(), "--header "))
				}
				t.headers = append(t.headers, hs...)
			}
		}
		t.name, t.body = j.Name, j.Body
		if j.BodyFile != "" {
			if j.Body != nil {
				return nil, fmt.Errorf("%s: body and body_file; give one of them", at)
			}
			if t.body, err = readTargetBody(at, j.BodyFile); err != nil {
				return nil, err
			}
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// jsonProblem words a JSON decoding error without the decoder's type names.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "not valid JSON (cut short)"
	case errors.As(err, &syn):
		return "not valid JSON (" + syn.Error() + ")"
	case errors.As(err, &typ):
		return fmt.Sprintf("%q has the wrong type", typ.Field)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// newFileTarget checks a target's method and URL.
func newFileTarget(at, method, raw string, line int) (fileTarget, error) {
	if method == "" || strings.ContainsAny(method, " \t\r\n:/") {
		return fileTarget{}, fmt.Errorf("%s: method %q: want a method name such as GET, POST, PUT", at, method)
	}
	u, err := parseURL(raw)
	if err != nil {
		return fileTarget{}, fmt.Errorf("%s: %v", at, err)
	}
	if u.User != nil {
		return fileTarget{}, fmt.Errorf("%s: credentials in the URL; give them in an Authorization header", at)
	}
	return fileTarget{u: u, method: method, weight: 1, line: line}, nil
}

// readTargetBody reads a target's body file (a path relative to the
// working directory, as vegeta reads it).
func readTargetBody(at, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: body file %q: cannot read it: %v", at, path, errors.Unwrap(err))
	}
	return b, nil
}

// nameTargets names the targets without one "METHOD /path?query" (the
// query's secrets redacted), numbering repeats; a name given twice is an
// error, since figures merge by name.
func nameTargets(file string, ts []fileTarget) error {
	given := map[string]int{}
	for i := range ts {
		if n := ts[i].name; n != "" {
			if l, dup := given[n]; dup {
				return fmt.Errorf("--targets %s:%d: the name %q is also line %d's; names must differ (figures are kept by name)", file, ts[i].line, n, l)
			}
			given[n] = ts[i].line
		}
	}
	for i := range ts {
		if ts[i].name != "" {
			continue
		}
		base := ts[i].method + " " + report.RedactURLText(ts[i].u.RequestURI())
		name := base
		for k := 2; given[name] != 0; k++ {
			name = base + " #" + strconv.Itoa(k)
		}
		given[name] = ts[i].line
		ts[i].name = name
	}
	return nil
}
