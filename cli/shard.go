package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxStartAhead bounds how far ahead --start-at may be.
const maxStartAhead = 24 * time.Hour

// maxStartBehind is how far in the past --start-at may be, for clocks a
// little apart and a shard started a little late; such a shard starts at
// once, behind the schedule by that much. Further back is a mistake.
const maxStartBehind = 5 * time.Second

// shardOptions applies --shard I/N and --start-at. A shard's Config holds
// its share: connections and -n split as loadgen splits them over
// connections (the remainder to the first shards), and -R divided by N;
// loadgen places the shard's slots in the single-host schedule.
func shardOptions(o *options, p *parsed) error {
	cfg := &o.cfg
	if p.startAt != "" {
		t, err := parseStartAt(p.startAt)
		if err != nil {
			return err
		}
		if time.Until(t) > maxStartAhead {
			return fmt.Errorf("--start-at %s: more than %s ahead", p.startAt, maxStartAhead)
		}
		if late := -time.Until(t); late > maxStartBehind {
			return fmt.Errorf("--start-at %s: %s in the past (at most %s, for clocks a little apart); give a time ahead, e.g. $(date -d +30sec +%%s)", p.startAt, late.Round(time.Second), maxStartBehind)
		}
		cfg.StartAt = t
	}
	if p.shard == "" {
		return nil
	}
	is, ns, ok := strings.Cut(p.shard, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n || n > 100000 {
		return fmt.Errorf("--shard %q: want I/N with 0 <= I < N, such as 0/3 (a Kubernetes completion index and the completions)", p.shard)
	}
	if cfg.Shape != nil {
		return errors.New("--shard goes with closed loop or a constant -R, not a rate shape")
	}
	if cfg.Rate > 0 && cfg.Connections%n != 0 {
		return fmt.Errorf("--shard %s with -R: -c %d must be a multiple of %d, so that every shard holds its exact part of the schedule", p.shard, cfg.Connections, n)
	}
	conns := share(cfg.Connections, n, i)
	if conns < 1 {
		return fmt.Errorf("--shard %s: -c %d leaves this shard no connection", p.shard, cfg.Connections)
	}
	if conns < cfg.Threads {
		return fmt.Errorf("--shard %s: this shard's %d connections (of -c %d) are fewer than -t %d", p.shard, conns, cfg.Connections, cfg.Threads)
	}
	if cfg.Requests > 0 {
		cfg.Requests = uint64(share(int(cfg.Requests), n, i))
		if cfg.Requests == 0 {
			return fmt.Errorf("--shard %s: -n leaves this shard no request", p.shard)
		}
	}
	cfg.Connections = conns
	cfg.Rate /= float64(n)
	cfg.Shard.Index, cfg.Shard.Count = i, n
	return nil
}

// share is part i of total split n ways, the remainder to the first parts.
func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

// parseStartAt reads RFC 3339 or unix seconds (with a fraction).
func parseStartAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < math.MaxInt32*4 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("--start-at %q: want RFC 3339 (2026-12-02T10:00:00Z) or unix seconds", s)
}
