package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestEnsureFDs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		conns      int
		soft, hard uint64
		setFails   bool
		wantSoft   uint64 // soft limit after; 0: unchanged
		wantErr    string
	}{
		{"fits", 100, 1024, 1024, false, 0, ""},
		{"raised to fit", 10000, 1024, 1 << 20, false, 10064, ""},
		{"hard limit too low", 20000, 1024, 4096, false, 0, "--connections 20000 needs about 20064 open files, but the limit is 1024 (hard limit 4096); raise it with `ulimit -n 20064`"},
		{"raise refused", 5000, 1024, 8192, true, 0, "needs about 5064 open files"},
	} {
		soft := tc.soft
		rl := rlimit{
			get: func() (uint64, uint64, error) { return soft, tc.hard, nil },
			set: func(s, h uint64) error {
				if tc.setFails {
					return errors.New("EPERM")
				}
				soft = s
				return nil
			},
		}
		err := ensureFDs(tc.conns, rl)
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: ensureFDs = %v, want %q", tc.name, err, tc.wantErr)
		}
		if tc.wantSoft != 0 && soft != tc.wantSoft {
			t.Errorf("%s: soft limit %d, want %d", tc.name, soft, tc.wantSoft)
		}
	}
}
