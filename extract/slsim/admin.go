package slsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// serveAdmin serves the admin endpoints (no SoftLayer auth, loopback
// clients only):
//
//	GET  /_sim/clock                 {"now": RFC3339}
//	POST /_sim/clock?advance=720h    move the clock forward (or back, "-24h")
//	POST /_sim/clock?set=RFC3339     set the clock
//	GET  /_sim/truth                 Truth at the current clock
//	GET  /_sim/accounts              Accounts: ids and credentials
//	GET  /_sim/stats                 Stats
//	POST /_sim/stats/reset           ResetStats
//	POST /_sim/fault?kind=K&n=N      InjectFault (kinds: FaultKind.String)
func (s *Sim) serveAdmin(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		http.Error(w, "slsim: admin endpoints answer loopback clients only", http.StatusForbidden)
		return
	}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	}
	bad := func(format string, args ...any) { http.Error(w, fmt.Sprintf(format, args...), http.StatusBadRequest) }
	q := r.URL.Query()
	switch r.URL.Path {
	case "/_sim/clock":
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			switch {
			case q.Get("advance") != "":
				d, err := time.ParseDuration(q.Get("advance"))
				if err != nil {
					bad("slsim: advance %q: %v", q.Get("advance"), err)
					return
				}
				s.Advance(d)
			case q.Get("set") != "":
				t, err := time.Parse(time.RFC3339, q.Get("set"))
				if err != nil {
					bad("slsim: set %q: want RFC 3339: %v", q.Get("set"), err)
					return
				}
				s.SetNow(t)
			default:
				bad("slsim: clock: want ?advance=DURATION or ?set=RFC3339")
				return
			}
		default:
			http.Error(w, "slsim: GET or POST", http.StatusMethodNotAllowed)
			return
		}
		now := s.Now()
		reply(map[string]string{"now": now.UTC().Format(time.RFC3339), "central": now.In(s.central).Format(dateLayout)})
	case "/_sim/truth":
		reply(s.Truth())
	case "/_sim/accounts":
		reply(s.Accounts())
	case "/_sim/stats":
		reply(s.Stats())
	case "/_sim/stats/reset":
		if r.Method != http.MethodPost {
			http.Error(w, "slsim: POST", http.StatusMethodNotAllowed)
			return
		}
		s.ResetStats()
		reply(s.Stats())
	case "/_sim/fault":
		if r.Method != http.MethodPost {
			http.Error(w, "slsim: POST", http.StatusMethodNotAllowed)
			return
		}
		k, err := ParseFaultKind(q.Get("kind"))
		if err != nil {
			bad("%v", err)
			return
		}
		n := 1
		if v := q.Get("n"); v != "" {
			if n, err = strconv.Atoi(v); err != nil || n < 1 {
				bad("slsim: fault n %q: want a positive integer", v)
				return
			}
		}
		s.InjectFault(k, n)
		reply(map[string]any{"kind": k.String(), "n": n})
	default:
		http.NotFound(w, r)
	}
}

// Server is a simulator listening on a loopback port.
type Server struct {
	sim    *Sim
	ln     net.Listener
	srv    *http.Server
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	once   sync.Once
}

// Start builds a simulator for o and serves it on 127.0.0.1 on a free port.
// Close stops it and waits for its goroutine.
func Start(o Options) (*Server, error) {
	return Listen(o, "127.0.0.1:0")
}

// Listen is Start on a given address.
func Listen(o Options, addr string) (*Server, error) {
	sim, err := New(o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("slsim: listen %s: %w", addr, err)
	}
	return Serve(sim, ln), nil
}

// Serve serves sim on ln until Close.
func Serve(sim *Sim, ln net.Listener) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{sim: sim, ln: ln, cancel: cancel, done: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           sim.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = err
		}
	}()
	return s
}

// URL returns the API endpoint, "http://127.0.0.1:PORT/rest/v3.1/".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/rest/v3.1/" }

// Addr returns the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Sim returns the simulator behind the server.
func (s *Server) Sim() *Sim { return s.sim }

// Close stops accepting, cancels requests in flight (a slow fault stops
// sleeping), waits up to 5 s for them and for the serving goroutine.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
		<-s.done
	})
	return s.err
}
