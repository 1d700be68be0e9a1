// confd-standin: a TEST-ONLY stand-in for confd (which Debian does not
// package), so that make check can render the shipped recipes in etc/confd
// from real registrations in a real redis-server.
//
// It reads the store the way confd's Redis backend does (TYPE of the
// prefix, then SCAN MATCH prefix/* and GET of every key), keeps the pairs
// the way confd's store (memkv) does (gets: sorted by key, glob-matched;
// getvs: values sorted), and executes the template with Go's real
// text/template and ONLY functions from confd's documented set, with
// confd's semantics.  Standard library only: it builds offline.
//
//	confd-standin -redis /path/to/socket|host:port -prefix /beachhead \
//	              -src template.tmpl -dest out.conf
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// --- a minimal RESP client: the four commands confd sends ---

type conn struct {
	c net.Conn
	r *bufio.Reader
}

func (c *conn) do(args ...string) (interface{}, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return c.read()
}

func (c *conn) read() (interface{}, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		items := make([]interface{}, 0, n)
		for i := 0; i < n; i++ {
			item, err := c.read()
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		}
		return items, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// load reads prefix the way confd's redis backend does.
func load(addr, prefix string) (map[string]string, error) {
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	nc, err := net.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	c := &conn{nc, bufio.NewReader(nc)}
	vars := map[string]string{}
	t, err := c.do("TYPE", prefix)
	if err != nil {
		return nil, err
	}
	if t == "string" {
		v, err := c.do("GET", prefix)
		if err == nil {
			if s, ok := v.(string); ok {
				vars[prefix] = s
			}
		}
		return vars, err
	}
	cursor := "0"
	for {
		reply, err := c.do("SCAN", cursor, "MATCH", prefix+"/*", "COUNT", "1000")
		if err != nil {
			return nil, err
		}
		parts, ok := reply.([]interface{})
		if !ok || len(parts) != 2 {
			return nil, errors.New("bad SCAN reply")
		}
		cursor, _ = parts[0].(string)
		keys, _ := parts[1].([]interface{})
		for _, k := range keys {
			key, _ := k.(string)
			v, err := c.do("GET", key)
			if s, ok := v.(string); err == nil && ok {
				vars[key] = s
			}
		}
		if cursor == "0" {
			return vars, nil
		}
	}
}

// --- confd's store functions (memkv semantics) ---

type KVPair struct {
	Key   string
	Value string
}

type store map[string]string

func (s store) getAll(pattern string) ([]KVPair, error) {
	ks := []KVPair{}
	for k, v := range s {
		m, err := path.Match(pattern, k)
		if err != nil {
			return nil, err
		}
		if m {
			ks = append(ks, KVPair{k, v})
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Key < ks[j].Key })
	return ks, nil
}

func (s store) funcs() template.FuncMap {
	return template.FuncMap{
		"exists": func(key string) bool { _, ok := s[key]; return ok },
		"get": func(key string) (KVPair, error) {
			v, ok := s[key]
			if !ok {
				return KVPair{}, fmt.Errorf("key does not exist: %s", key)
			}
			return KVPair{key, v}, nil
		},
		"gets": s.getAll,
		"getv": func(key string, def ...string) (string, error) {
			if v, ok := s[key]; ok {
				return v, nil
			}
			if len(def) > 0 {
				return def[0], nil
			}
			return "", fmt.Errorf("key does not exist: %s", key)
		},
		"getvs": func(pattern string) ([]string, error) {
			ks, err := s.getAll(pattern)
			vs := []string{}
			for _, kv := range ks {
				vs = append(vs, kv.Value)
			}
			sort.Strings(vs)
			return vs, err
		},
		// confd's general functions (resource/template/template_funcs.go).
		"base":       path.Base,
		"dir":        path.Dir,
		"split":      strings.Split,
		"join":       strings.Join,
		"toUpper":    strings.ToUpper,
		"toLower":    strings.ToLower,
		"contains":   strings.Contains,
		"replace":    strings.Replace,
		"trimSuffix": strings.TrimSuffix,
		"parseBool":  strconv.ParseBool,
		"atoi":       strconv.Atoi,
		"add":        func(a, b int) int { return a + b },
		"sub":        func(a, b int) int { return a - b },
		"json": func(data string) (map[string]interface{}, error) {
			var ret map[string]interface{}
			err := json.Unmarshal([]byte(data), &ret)
			return ret, err
		},
		"jsonArray": func(data string) ([]interface{}, error) {
			var ret []interface{}
			err := json.Unmarshal([]byte(data), &ret)
			return ret, err
		},
	}
}

func main() {
	addr := flag.String("redis", "", "redis unix socket path or host:port")
	prefix := flag.String("prefix", "/beachhead", "key prefix (the resource's keys)")
	src := flag.String("src", "", "template file")
	dest := flag.String("dest", "", "output file")
	flag.Parse()
	if *addr == "" || *src == "" || *dest == "" {
		fmt.Fprintln(os.Stderr, "usage: confd-standin -redis ADDR -prefix PREFIX -src TMPL -dest OUT")
		os.Exit(2)
	}
	vars, err := load(*addr, *prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "confd-standin: redis:", err)
		os.Exit(1)
	}
	tmpl, err := template.New(path.Base(*src)).Funcs(store(vars).funcs()).ParseFiles(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "confd-standin:", err)
		os.Exit(1)
	}
	out, err := os.Create(*dest)
	if err != nil {
		fmt.Fprintln(os.Stderr, "confd-standin:", err)
		os.Exit(1)
	}
	if err := tmpl.Execute(out, nil); err != nil {
		fmt.Fprintln(os.Stderr, "confd-standin:", err)
		os.Exit(1)
	}
	if err := out.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "confd-standin:", err)
		os.Exit(1)
	}
}
