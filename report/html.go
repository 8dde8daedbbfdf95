package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// The HTML report embeds uPlot (assets/uplot/VERSION says which, and why)
// and its data: one file that opens with no network. Its
// Content-Security-Policy forbids every load, so that no request can leave
// the page even by mistake.
var (
	//go:embed assets/uplot/uPlot.iife.min.js
	uplotJS string
	//go:embed assets/uplot/uPlot.min.css
	uplotCSS string
	//go:embed assets/report.html
	pageHTML string
	//go:embed assets/report.js
	pageJS string
)

var page = template.Must(template.New("report").Parse(pageHTML))

// htmlData is what the page's script draws. Times are seconds since the
// measured start, at each interval's end; a figure with nothing to show
// (the latency of an interval in which no request ended, the target of a
// closed-loop run) is null, a gap on the chart rather than a false 0.
type htmlData struct {
	Title     string       `json:"title"`
	Summary   [][2]string  `json:"summary"`
	Config    [][2]string  `json:"config"`
	Spectrum  htmlSpectrum `json:"spectrum"`
	Interval  float64      `json:"interval"` // seconds
	Times     []float64    `json:"times"`
	RPS       []float64    `json:"rps"`
	Target    []*float64   `json:"target"`  // the -R rate or the shape's, per interval; null without -R
	Lat       [][]*float64 `json:"lat"`     // p50, p90, p99, max per interval (ms)
	Codes     htmlSeries   `json:"codes"`   // responses/s by status code
	ErrRate   htmlSeries   `json:"errRate"` // errors/s by class
	Status    [][2]string  `json:"status"`
	Errors    [][2]string  `json:"errors"`
	Steps     [][]string   `json:"steps"`   // a rate shape's steps, the text report's columns; the first row names them
	Targets   [][]string   `json:"targets"` // --targets' figures per target, the text report's columns; the first row names them
	Phases    [][]string   `json:"phases"`  // the phases of a request, the text report's columns; the first row names them
	PhaseNote string       `json:"phasesNote"`
	Notes     []string     `json:"notes"`
}

// htmlSeries are named series over Times.
type htmlSeries struct {
	Names  []string    `json:"names"`
	Series [][]float64 `json:"series"`
}

// htmlSpectrum is the latency percentile spectrum: X is 1/(1-p), on a log
// scale out to 99.999%; each series is in milliseconds.
type htmlSpectrum struct {
	X      []float64   `json:"x"`
	Names  []string    `json:"names"`
	Series [][]float64 `json:"series"`
	// Bold is how many of the first series are drawn thick (the run's
	// own, before any shard's).
	Bold int `json:"bold"`
	// Due is the index in Series of the latency over every due request
	// (-1: no request was censored, it equals the completed requests'),
	// DueLower whether each of its points is only a lower bound
	// (loadgen.DuePercentile).
	Due      int    `json:"due"`
	DueLower []bool `json:"dueLower"`
}

// spectrumPoints are the percentiles of the spectrum: 1 - 10^(-k/10), for
// k = 0..50 (0% to 99.999%).
func spectrumPoints() []float64 {
	ps := make([]float64, 51)
	for k := range ps {
		ps[k] = 100 * (1 - math.Pow(10, -float64(k)/10))
	}
	return ps
}

func spectrumOf(h *hdrhistogram.Histogram, ps []float64) []float64 {
	ys := make([]float64, len(ps))
	for i, p := range ps {
		ys[i] = float64(h.ValueAtQuantile(p)) / 1000
	}
	return ys
}

// HTML writes the self-contained HTML report of r. parts, when r is a
// merge, are the merged results: each shard's latency spectrum is drawn
// beside the merge's.
func HTML(w io.Writer, r *loadgen.Result, parts []*loadgen.Result, o Options) error {
	d := htmlData{Title: "gowrk: " + RedactURL(r.Config.Target.URL)}
	ps := spectrumPoints()
	for _, p := range ps {
		d.Spectrum.X = append(d.Spectrum.X, 100/(100-p))
	}
	htmlRunSpectrum(&d.Spectrum, r, ps)
	for i, p := range parts {
		name := fmt.Sprintf("part %d", i+1)
		if p.Shard != nil {
			name = fmt.Sprintf("shard %d", p.Shard.Index)
		}
		d.Spectrum.Names = append(d.Spectrum.Names, name+" latency")
		d.Spectrum.Series = append(d.Spectrum.Series, spectrumOf(p.Latency, ps))
	}
	htmlTargetSpectra(&d.Spectrum, r, ps)
	htmlIntervals(&d, r)
	d.Steps, d.Targets = htmlSteps(r), htmlTargets(r)
	d.Phases, d.PhaseNote = phaseTable(r), strings.TrimSpace(phaseNote(r))
	c := &r.Counts
	d.Summary = [][2]string{
		{"requests", strconv.FormatUint(c.Completed, 10)},
		{"duration", r.Duration.String()},
		{"requests/s", strconv.FormatFloat(r.RequestsPerSec(), 'f', 2, 64)},
		{"latency of completed requests p50 / p99 / p99.9 / max", fmt.Sprintf("%s / %s / %s / %s", ms(r.Latency, 50), ms(r.Latency, 99), ms(r.Latency, 99.9), ms(r.Latency, 100))},
		{"latency of every due request p50 / p99 / p99.9 / max", dueSummary(r)},
		{"due / never completed", fmt.Sprintf("%d / %d", r.DueCount(), censoredCount(r))},
		{"sent / in flight at stop / unsent", fmt.Sprintf("%d / %d / %d", c.Sent, c.InFlight, c.Unsent)},
		{"errors", strconv.FormatUint(c.Errors(), 10)},
	}
	cfg := &r.Config
	d.Config = [][2]string{
		{"url", RedactURL(cfg.Target.URL)}, {"method", cfg.Target.Method}, {"headers", strings.Join(headerLines(cfg.Target.Headers), "; ")},
		{"protocol", r.Conn.Protocol}, {"engine", cfg.Engine}, {"threads / connections / streams", fmt.Sprintf("%d / %d / %d", cfg.Threads, cfg.Connections, max(cfg.Streams, 1))},
		{"duration / requests", htmlBounds(cfg)}, {"rate", htmlRate(cfg)},
		{"timeout", fmt.Sprintf("%s (%s)", cfg.Timeout, cfg.TimeoutAction)}, {"gowrk", o.Version},
	}
	if q := r.Conn.QUIC; q != nil {
		d.Config = append(d.Config, [2]string{"QUIC", QUICSummary(q)})
	}
	codes := make([]int, 0, len(r.StatusCodes))
	for code := range r.StatusCodes {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	for _, code := range codes {
		d.Status = append(d.Status, [2]string{strconv.Itoa(code), strconv.FormatUint(r.StatusCodes[code], 10)})
	}
	for _, e := range errorClasses(c) {
		if e.n > 0 {
			d.Errors = append(d.Errors, [2]string{e.name, strconv.FormatUint(e.n, 10)})
		}
	}
	if r.Interrupted {
		d.Notes = append(d.Notes, InterruptedText(r))
	}
	d.Notes = append(d.Notes, Warnings(r)...)
	if m := r.Merged; m != nil {
		d.Notes = append(d.Notes, fmt.Sprintf("merged from %d reports; start spread %s", m.Parts, m.StartSpread))
		if len(m.Missing) > 0 {
			d.Notes = append(d.Notes, "incomplete: shards "+IntList(m.Missing)+" are missing")
		}
	}
	data, err := json.Marshal(d) // (escapes <, > and &: safe inside <script>)
	if err != nil {
		return err
	}
	return page.Execute(w, map[string]string{"Title": d.Title, "CSS": uplotCSS, "UPlot": uplotJS, "Data": string(data), "Script": pageJS})
}

// htmlRunSpectrum puts r's own series in the spectrum: the latency of
// completed requests, over every due request when some were censored
// (the censored at their lower bound), and the service time.
func htmlRunSpectrum(sp *htmlSpectrum, r *loadgen.Result, ps []float64) {
	sp.Names = append(sp.Names, "latency of completed requests")
	sp.Series = append(sp.Series, spectrumOf(r.Latency, ps))
	sp.Due = -1
	if censoredCount(r) > 0 {
		sp.Due = len(sp.Series)
		due := make([]float64, len(ps))
		for i, dp := range r.DuePercentiles(ps...) {
			due[i] = float64(dp.Value) / 1000
			sp.DueLower = append(sp.DueLower, dp.LowerBound)
		}
		sp.Names = append(sp.Names, "latency of every due request (>= where only a lower bound)")
		sp.Series = append(sp.Series, due)
	}
	sp.Names = append(sp.Names, "service time")
	sp.Series = append(sp.Series, spectrumOf(r.Service, ps))
	sp.Bold = len(sp.Series)
}

// dueSummary is the summary's p50 / p99 / p99.9 / max over every due
// request, ">= " marking a lower bound.
func dueSummary(r *loadgen.Result) string {
	var parts []string
	for _, dp := range r.DuePercentiles(50, 99, 99.9) {
		parts = append(parts, dueText(dp.Value, dp.LowerBound))
	}
	m, lower := r.DueMax()
	return strings.Join(append(parts, dueText(m, lower)), " / ")
}

func ms(h *hdrhistogram.Histogram, p float64) string {
	return formatTimeUs(float64(h.ValueAtQuantile(p)))
}

// htmlBounds is what bounds the run, as configured: -d and -n, "none"
// where one is not given.
func htmlBounds(cfg *loadgen.Config) string {
	d, n := "none", "none"
	if cfg.Duration > 0 {
		d = cfg.Duration.String()
	}
	if cfg.Requests > 0 {
		n = strconv.FormatUint(cfg.Requests, 10)
	}
	return d + " / " + n
}

func htmlRate(cfg *loadgen.Config) string {
	switch {
	case cfg.Shape != nil:
		return cfg.Shape.String()
	case cfg.Rate > 0:
		return RateText(cfg.Rate) + "/s"
	}
	return "closed loop"
}
