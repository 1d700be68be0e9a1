// load: the HTTP client of the traffic tests (tests/recipes/traffic_*.sh).  It sends
// real requests to a proxy with a chosen Host header, one new connection
// each (as curl in a loop would), and reports what came back.
//
//	load -addr 127.0.0.1:80 -host H -until-body B [-duration 30s]
//	    polls every 20 ms until a 200 whose body is B; prints the elapsed
//	    milliseconds; exit 1 if it never comes
//	load -addr ... -host H -until-status CODE [-duration 30s]
//	    the same until the status is CODE (e.g. the domain is gone: 404)
//	load -addr ... -host H -stop FILE [-workers 4] [-pause 5ms]
//	     [-max 20000] [-duration 60s] [-timeout 3s]
//	    load until FILE exists (or -max requests, or -duration): every
//	    worker sends one request after another; prints
//	      requests N failed F
//	      served BODY COUNT last MS  (one line per body; MS: when the last
//	                                   request it served was sent, Unix ms)
//	      latency_max_ms X
//	    and the first failures (FAILED +T ms: reason); exit 0 either way
//
// Standard library only: it builds offline.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

type result struct {
	at      time.Duration // since the start, when the request was sent
	wall    time.Time
	latency time.Duration
	status  int
	body    string
	err     error
}

func get(client *http.Client, url, host string) (int, string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

func newClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
}

// until polls until want(status, body) holds; prints the elapsed ms.
func until(url, host string, d time.Duration, want func(int, string) bool) int {
	client := newClient(time.Second)
	start := time.Now()
	for time.Since(start) < d {
		status, body, err := get(client, url, host)
		if err == nil && want(status, body) {
			fmt.Println(time.Since(start).Milliseconds())
			return 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "load: %s did not answer as wanted within %v\n", host, d)
	return 1
}

func stopped(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}

// run: the workers, bounded by count, time and the stop file.
func run(url, host, stop string, workers, max int, d, timeout, pause time.Duration) []result {
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := newClient(timeout)
			for time.Since(start) < d && !stopped(stop) {
				sent := time.Now()
				status, body, err := get(client, url, host)
				r := result{sent.Sub(start), sent, time.Since(sent), status, body, err}
				mu.Lock()
				full := len(results) >= max
				if !full {
					results = append(results, r)
				}
				mu.Unlock()
				if full {
					return
				}
				time.Sleep(pause)
			}
		}()
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].at < results[j].at })
	return results
}

func report(results []result) {
	failed := 0
	served := map[string]int{}
	last := map[string]time.Time{}
	var worst time.Duration
	for _, r := range results {
		if r.latency > worst {
			worst = r.latency
		}
		if r.err != nil || r.status != http.StatusOK {
			failed++
			if failed <= 10 {
				fmt.Printf("FAILED +%d ms (%s): status %d, %v (after %d ms)\n", r.at.Milliseconds(),
					r.wall.Format("15:04:05.000"), r.status, r.err, r.latency.Milliseconds())
			}
			continue
		}
		served[r.body]++
		last[r.body] = r.wall
	}
	fmt.Printf("requests %d failed %d\n", len(results), failed)
	bodies := make([]string, 0, len(served))
	for b := range served {
		bodies = append(bodies, b)
	}
	sort.Strings(bodies)
	for _, b := range bodies {
		fmt.Printf("served %s %d last %d\n", b, served[b], last[b].UnixMilli())
	}
	fmt.Printf("latency_max_ms %d\n", worst.Milliseconds())
}

func main() {
	addr := flag.String("addr", "127.0.0.1:80", "the proxy")
	host := flag.String("host", "", "Host header")
	untilBody := flag.String("until-body", "", "poll until a 200 with this body")
	untilStatus := flag.Int("until-status", 0, "poll until this status")
	stop := flag.String("stop", "", "load until this file exists")
	workers := flag.Int("workers", 4, "concurrent clients")
	max := flag.Int("max", 20000, "at most this many requests")
	d := flag.Duration("duration", 60*time.Second, "at most this long")
	timeout := flag.Duration("timeout", 3*time.Second, "a request that takes longer failed")
	pause := flag.Duration("pause", 5*time.Millisecond, "between two requests of a worker")
	flag.Parse()
	url := "http://" + *addr + "/"
	switch {
	case *host == "":
		fmt.Fprintln(os.Stderr, "load: -host is required")
		os.Exit(2)
	case *untilBody != "":
		os.Exit(until(url, *host, *d, func(s int, b string) bool { return s == 200 && b == *untilBody }))
	case *untilStatus != 0:
		os.Exit(until(url, *host, *d, func(s int, _ string) bool { return s == *untilStatus }))
	case *stop != "":
		report(run(url, *host, *stop, *workers, *max, *d, *timeout, *pause))
	default:
		fmt.Fprintln(os.Stderr, "load: one of -until-body, -until-status, -stop")
		os.Exit(2)
	}
}
