package report

import (
	"net/url"
	"strings"
	"testing"
)

// secretShapes are the secrets a careless command line or script puts
// where gowrk prints: each row's text must lose every word in gone and
// keep every word in kept.
var secretShapes = []struct {
	text string
	gone []string
	kept []string
}{
	{"http://bob:hunter2@h/x?page=2", []string{"hunter2", "bob"}, []string{"page=2"}},
	{"http://h/x?pass=pw1&pwd=pw2&jwt=pw3&sig=pw4&code=pw5&page=2", []string{"pw1", "pw2", "pw3", "pw4", "pw5"}, []string{"page=2", "pass=" + Redacted}},
	{"http://h/o?X-Amz-Signature=aw1&X-Amz-Credential=aw2&X-Amz-Security-Token=aw3&X-Amz-Date=20260101", []string{"aw1", "aw2", "aw3"}, []string{"X-Amz-Date=20260101"}},
	{"http://h/o?X-Goog-Signature=gg1&X-Goog-Credential=gg2&GoogleAccessId=gg3", []string{"gg1", "gg2", "gg3"}, nil},
	{"http://h/b?sv=2022-11-02&se=az1&skoid=az2&sktid=az3&sig=az4&sp=r", []string{"az1", "az2", "az3", "az4"}, []string{"sv=2022-11-02", "sp=r"}},
	{"http://h/cb#access_token=fr1&state=x", []string{"fr1", "#"}, nil},
	{"http://h/x?session_id=se1&client_secret=se2&refresh_token=se3&Signature=se4", []string{"se1", "se2", "se3", "se4"}, nil},
	{"script.lua:3: bad header Authorization: Bearer lua1", []string{"lua1"}, []string{"script.lua:3:", "Authorization: " + Redacted}},
	{"request failed: Bearer lua2, retrying", []string{"lua2"}, []string{"retrying"}},
	{"script.lua:9: got Basic dXNlcjpwYXNz", []string{"dXNlcjpwYXNz"}, nil},
	{"X-Private: pr1 and more", []string{"pr1"}, []string{"X-Private: " + Redacted}},
	{"x-api-key: pr2", []string{"pr2"}, nil},
	{"server said: token=tk1; password=tk2", []string{"tk1", "tk2"}, []string{"server said:"}},
	{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", []string{"eyJzdWIiOiIxIn0"}, nil},
	{"Content-Type: text/plain", nil, []string{"Content-Type: text/plain"}},
	{"gowrk: --hdr-log: open /x/y.hlog: permission denied", nil, []string{"--hdr-log: open /x/y.hlog: permission denied"}},
	{"dial tcp 127.0.0.1:8080: connect: connection refused", nil, []string{"127.0.0.1:8080: connect: connection refused"}},
	{"threshold errors=0: pass (0 errors)", nil, []string{"errors=0: pass"}},
}

// TestRedactText: every shape loses its secret, keeps what is harmless,
// and redacting twice changes nothing.
func TestRedactText(t *testing.T) {
	for _, tc := range secretShapes {
		got := RedactText(tc.text)
		for _, g := range tc.gone {
			if strings.Contains(got, g) {
				t.Errorf("RedactText(%q) = %q: still has %q", tc.text, got, g)
			}
		}
		for _, k := range tc.kept {
			if !strings.Contains(got, k) {
				t.Errorf("RedactText(%q) = %q: lost %q", tc.text, got, k)
			}
		}
		if again := RedactText(got); again != got {
			t.Errorf("RedactText twice: %q, then %q", got, again)
		}
	}
}

// TestRedactURLAndHeaders: a parsed URL loses userinfo, fragment and
// secret query values; only listed headers show their values.
func TestRedactURLAndHeaders(t *testing.T) {
	u, _ := url.Parse("https://bob:pw0@h:8443/p?pwd=pw1&page=2#id_token=pw2")
	if got, want := RedactURL(u), "https://"+Redacted+"@h:8443/p?pwd="+Redacted+"&page=2"; got != want {
		t.Errorf("RedactURL = %q, want %q", got, want)
	}
	for name, shown := range map[string]bool{"Accept": true, "content-type": true, "User-Agent": true, "Host": true,
		"X-Private": false, "Authorization": false, "Cookie": false, "X-Tenant": false, "Referer": false} {
		if ShowHeader(name) != shown {
			t.Errorf("ShowHeader(%q) = %v, want %v", name, !shown, shown)
		}
	}
}

// FuzzRedactText: any text redacts without a panic, to text that a second
// pass leaves as it is, and a password in userinfo never survives.
func FuzzRedactText(f *testing.F) {
	for _, tc := range secretShapes {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := RedactText(s)
		if again := RedactText(got); again != got {
			t.Errorf("RedactText(%q) = %q, then %q", s, got, again)
		}
		if r := RedactText("see http://u:Zq9pw@h/ " + s); strings.Contains(r, "Zq9pw") {
			t.Errorf("userinfo survives: %q", r)
		}
	})
}
