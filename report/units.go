package report

import (
	"fmt"
	"strings"
)

// unitScale is a ladder of units, as in wrk's units.c.
type unitScale struct {
	scale float64
	base  string
	units []string
}

var (
	timeUnitsUs  = unitScale{1000, "us", []string{"ms", "s"}}
	timeUnitsS   = unitScale{60, "s", []string{"m", "h"}}
	binaryUnits  = unitScale{1024, "", []string{"K", "M", "G", "T", "P"}}
	metricUnits  = unitScale{1000, "", []string{"k", "M", "G", "T", "P"}}
	errNoScaling = "NaN"
)

// formatUnits is wrk's format_units: step up a unit while the amount is at
// least 85% of the next scale, never past the last unit but one.
func formatUnits(n float64, m unitScale, prec int) string {
	if n != n {
		return errNoScaling
	}
	amt, unit := n, m.base
	for i := 0; i+1 < len(m.units) && amt >= m.scale*0.85; i++ {
		amt /= m.scale
		unit = m.units[i]
	}
	return fmt.Sprintf("%.*f%s", prec, amt, unit)
}

// formatBinary formats a byte count as wrk does ("3.98M").
func formatBinary(n float64) string { return formatUnits(n, binaryUnits, 2) }

// formatMetric formats a count as wrk does ("56.20k").
func formatMetric(n float64) string { return formatUnits(n, metricUnits, 2) }

// formatTimeUs formats microseconds as wrk does ("635.91us", "12.92ms", "1.20s").
func formatTimeUs(us float64) string {
	if us >= 1e6 {
		return formatUnits(us/1e6, timeUnitsS, 2)
	}
	return formatUnits(us, timeUnitsUs, 2)
}

// formatTimeS formats whole seconds as wrk does for "Running 30s test".
func formatTimeS(s float64) string { return formatUnits(s, timeUnitsS, 0) }

// padUnits is wrk's print_units: right-align msg in width, keeping two
// columns for the unit so that numbers line up.
func padUnits(msg string, width int) string {
	pad := 2
	if l := len(msg); l > 0 && isAlpha(msg[l-1]) {
		pad--
		if l > 1 && isAlpha(msg[l-2]) {
			pad--
		}
	}
	w := width - pad
	if len(msg) > w {
		msg = msg[:w]
	}
	return strings.Repeat(" ", w-len(msg)) + msg + strings.Repeat(" ", pad)
}

func isAlpha(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

// FormatTimeUs formats microseconds as the reports do ("635.91us", "1.20s"),
// for the CLI's other output.
func FormatTimeUs(us float64) string { return formatTimeUs(us) }
