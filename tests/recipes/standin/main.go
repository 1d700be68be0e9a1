// confd-standin: a TEST-ONLY stand-in for confd (which Debian does not
// package), so that make check can render the shipped recipes in etc/confd
// from real registrations in a real redis-server or etcd cluster, and run
// them as confd does: stage, check_cmd, replace, reload_cmd.
//
// What it mirrors of confd (github.com/kelseyhightower/confd), for what the
// recipes use:
//   - loading: the redis backend (redis.go) and the etcdv3 backend
//     (etcd.go) read every key under each of the resource's keys, exactly
//     as confd's do; keys then go into the store cleaned and relative to
//     the prefix (path.Join("/", strings.TrimPrefix(k, prefix)));
//   - the template: Go's text/template with confd's function set and its
//     store's (memkv) semantics (store.go);
//   - a run (sync.go): render into a staged file beside dest; if it differs
//     from dest, run check_cmd on it ({{.src}}), move it over dest, run
//     reload_cmd; both through /bin/sh -c, as confd does;
//   - -watch on redis: PSUBSCRIBE to the keyspace events confd listens to,
//     one run per burst of events; -interval: one run per period.
//
// Standard library only: it builds offline.
//
//	confd-standin -backend redis|etcdv3 -node ADDR [-node ADDR]... \
//	    -keys /beachhead -src TMPL -dest OUT [-check-cmd CMD] \
//	    [-reload-cmd CMD] [-mode 0644] [-onetime | -watch | -interval D]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

type nodeList []string

func (n *nodeList) String() string { return strings.Join(*n, ",") }
func (n *nodeList) Set(v string) error {
	*n = append(*n, v)
	return nil
}

// backend is what confd's backends.StoreClient offers the template side.
type backend interface {
	GetValues(keys []string) (map[string]string, error)
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s confd-standin: %s\n",
		time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func main() {
	var nodes nodeList
	kind := flag.String("backend", "redis", "redis or etcdv3")
	flag.Var(&nodes, "node", "redis: unix socket path or host:port[/db]; etcdv3: http://host:port (repeatable)")
	keys := flag.String("keys", "/beachhead", "the resource's keys, comma-separated")
	prefix := flag.String("prefix", "", "confd's key prefix")
	var res resource
	flag.StringVar(&res.src, "src", "", "template file")
	flag.StringVar(&res.dest, "dest", "", "output file")
	flag.StringVar(&res.checkCmd, "check-cmd", "", "the resource's check_cmd")
	flag.StringVar(&res.reloadCmd, "reload-cmd", "", "the resource's reload_cmd")
	mode := flag.String("mode", "0644", "the resource's mode")
	watch := flag.Bool("watch", false, "run on every keyspace event (redis only)")
	interval := flag.Duration("interval", 0, "run once per interval")
	flag.Parse()
	if len(nodes) == 0 || res.src == "" || res.dest == "" {
		fmt.Fprintln(os.Stderr, "usage: confd-standin -backend redis|etcdv3 -node ADDR -src TMPL -dest OUT [options]")
		os.Exit(2)
	}
	if _, err := fmt.Sscanf(*mode, "%o", &res.mode); err != nil {
		fmt.Fprintln(os.Stderr, "confd-standin: bad -mode:", *mode)
		os.Exit(2)
	}
	res.prefix = "/" + strings.TrimPrefix(*prefix, "/")
	res.keys = appendPrefix(res.prefix, strings.Split(*keys, ","))

	var client backend
	var rc *redisClient
	switch *kind {
	case "redis":
		rc = &redisClient{nodes: nodes}
		client = rc
	case "etcdv3":
		client = &etcdClient{endpoints: nodes}
	default:
		fmt.Fprintln(os.Stderr, "confd-standin: unknown backend", *kind)
		os.Exit(2)
	}
	res.client = client
	switch {
	case *watch && rc != nil:
		os.Exit(runEvery(&res, rc.watch(res.prefix)))
	case *watch:
		fmt.Fprintln(os.Stderr, "confd-standin: -watch is for the redis backend; use -interval")
		os.Exit(2)
	case *interval > 0:
		os.Exit(runEvery(&res, ticks(*interval)))
	default:
		if err := res.process(); err != nil {
			logf("%v", err)
			os.Exit(1)
		}
	}
}

// runEvery runs the resource once at start and then once per signal, like
// confd's watch and interval processors; errors are logged, not fatal.
func runEvery(res *resource, signals <-chan error) int {
	for {
		if err := res.process(); err != nil {
			logf("%v", err)
		}
		if err, ok := <-signals; !ok {
			return 1
		} else if err != nil {
			logf("%v", err)
			time.Sleep(time.Second)
		}
	}
}

func ticks(d time.Duration) <-chan error {
	c := make(chan error)
	go func() {
		for range time.Tick(d) {
			c <- nil
		}
	}()
	return c
}
