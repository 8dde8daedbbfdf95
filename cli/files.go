package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gowrk/gowrk/report"
)

// The files a run writes are all checked before the load: a run that
// cannot write its report finds out before it sends a request, not after.

// checkFormat refuses a --format that report.Lookup, the one registry of
// report formats, does not know.
func checkFormat(name string) error {
	if _, ok := report.Lookup(name); !ok {
		return fmt.Errorf("--format %q: want one of %s", name, strings.Join(report.Names(), ", "))
	}
	return nil
}

// openOutput returns where a report goes, for run, --find-max-rate and
// merge alike: stdout for "" or "-", else the file path, replaced. With a
// csvHeader (a CSV report of a run), an existing, non-empty file is
// appended to instead, without a second header line (noHeader), and
// refused when its header is not csvHeader (its rows would be shifted).
// The path is checked writable now and opened at the report's first
// write: a run that ends without a report (a refused handshake, a name
// that does not resolve) leaves an existing file as it was and creates
// none. closeFn closes the file; the caller calls it once the report is
// written.
func openOutput(path string, stdout io.Writer, csvHeader []string) (w io.Writer, closeFn func(), noHeader bool, err error) {
	if path == "" || path == "-" {
		return stdout, func() {}, false, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if csvHeader != nil {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		if noHeader, err = csvAppendHeader(path, csvHeader); err != nil {
			return nil, nil, false, err
		}
	}
	if err := checkWritable("", path); err != nil {
		return nil, nil, false, err
	}
	lf := &lazyFile{path: path, flags: flags}
	return lf, lf.close, noHeader, nil
}

// lazyFile opens its file at the first Write, with flags.
type lazyFile struct {
	path  string
	flags int
	f     *os.File
	err   error
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		l.f, l.err = os.OpenFile(l.path, l.flags, 0o644)
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Write(p)
}

func (l *lazyFile) close() {
	if l.f != nil {
		l.f.Close()
	}
}

// notAnInput refuses an -o that names one of the command's inputs (a
// report merged, a log read): the report would replace what it was made of.
func notAnInput(output string, inputs []string) error {
	if output == "" || output == "-" {
		return nil
	}
	for _, in := range inputs {
		if samePath(output, in) {
			return fmt.Errorf("--output %q is also an input: the report would replace it; write to another file", output)
		}
	}
	return nil
}

// outputFile is a file an output flag names.
type outputFile struct{ flag, path string }

// distinctOutputs refuses one path given to two outputs (-o X --html X
// would write the HTML page over the report). Paths are compared cleaned
// and absolute, and as the same file when both exist.
func distinctOutputs(files []outputFile) error {
	var given []outputFile
	for _, f := range files {
		if f.path == "" || f.path == "-" {
			continue
		}
		for _, g := range given {
			if samePath(f.path, g.path) {
				return fmt.Errorf("%s and %s name the same file %q: one would overwrite the other; give each its own file", g.flag, f.flag, f.path)
			}
		}
		given = append(given, f)
	}
	return nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// checkWritable checks, before the run, that path (flag's; "" for -o,
// whose callers name it) can be written: it is opened for writing (and
// created); a file it created is removed again, so that a run that fails
// leaves nothing behind.
func checkWritable(flag, path string) error {
	if path == "" {
		return nil
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%s: cannot write it: %v", strings.TrimSpace(fmt.Sprintf("%s %q", flag, path)), pathReason(err))
	}
	f.Close()
	if errors.Is(statErr, os.ErrNotExist) {
		os.Remove(path)
	}
	return nil
}

// pathReason is an *os.PathError's reason without the path again.
func pathReason(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// csvAppendHeader reads the header of the CSV file path, if it has one:
// nil for a missing or empty file. It returns an error when the header is
// not want (another --percentiles, --intervals, or not gowrk's CSV): rows
// appended under it would be shifted from their columns.
func csvAppendHeader(path string, want []string) (appending bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%q: cannot read it: %v", path, pathReason(err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	have, err := r.Read()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err == nil && slices.Equal(have, want) {
		return true, nil
	}
	return false, fmt.Errorf("%q: its CSV header differs from this run's, and rows appended under it would sit under the wrong columns: %s; write to another file, or give the same --percentiles and --intervals as the runs already in it", path, columnDiff(have, want))
}

// columnDiff says how header have differs from want, in a few words.
func columnDiff(have, want []string) string {
	var missing, extra []string
	for _, c := range want {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	for _, c := range have {
		if !slices.Contains(want, c) {
			extra = append(extra, c)
		}
	}
	d := fmt.Sprintf("it has %d columns, this run writes %d", len(have), len(want))
	if len(missing) > 0 {
		d += "; not in the file: " + clip(missing)
	}
	if len(extra) > 0 {
		d += "; not in this run: " + clip(extra)
	}
	if len(missing) == 0 && len(extra) == 0 {
		d += "; the same columns in another order"
	}
	return d
}

// clip joins at most 6 names.
func clip(names []string) string {
	if len(names) > 6 {
		return strings.Join(names[:6], ", ") + fmt.Sprintf(" and %d more", len(names)-6)
	}
	return strings.Join(names, ", ")
}
