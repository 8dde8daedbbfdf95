package nodeagent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"
)

// serveLogs serves GET /containerLogs/NS/POD/CONTAINER on l over TLS (the
// API server reaches a kubelet over HTTPS; with no CA given it does not
// verify the certificate, so a self-signed one does): the container's
// stdout and stderr as written so far. Query parameters (follow, tail) are
// ignored.
func (a *Agent) serveLogs(l net.Listener) (*http.Server, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", func(w http.ResponseWriter, r *http.Request) {
		ns, pod, c := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
		if strings.ContainsAny(ns+pod+c, "/_") {
			http.Error(w, "bad name", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		http.ServeFile(w, r, a.logPath(ns, pod, c))
	})
	s := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 10 * time.Second}
	go s.ServeTLS(l, "", "")
	return s, nil
}

// selfSigned makes a certificate for 127.0.0.1, valid for a day.
func selfSigned() (tls.Certificate, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nodeagent"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, nil
}
