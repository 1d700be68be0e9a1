package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// redisClient reads the store the way confd's redis backend
// (backends/redis/client.go, separator "/") does.
type redisClient struct {
	nodes []string
}

type conn struct {
	c  net.Conn
	r  *bufio.Reader
	db int
}

// dial: the first node that answers; "ADDR/DB" selects a database, an
// ADDR that exists as a file is a unix socket (confd's tryConnect).
func (rc *redisClient) dial() (*conn, error) {
	var err error
	for _, address := range rc.nodes {
		db := 0
		if i := strings.Index(address, "/"); i != -1 {
			if n, aerr := strconv.Atoi(address[i+1:]); aerr == nil {
				db, address = n, address[:i]
			}
		}
		network := "tcp"
		if _, serr := os.Stat(address); serr == nil {
			network = "unix"
		}
		var nc net.Conn
		if nc, err = net.DialTimeout(network, address, time.Second); err != nil {
			continue
		}
		c := &conn{nc, bufio.NewReader(nc), db}
		if db != 0 {
			if _, err = c.do("SELECT", strconv.Itoa(db)); err != nil {
				nc.Close()
				continue
			}
		}
		return c, nil
	}
	return nil, err
}

// GetValues: TYPE of each key; a string is read as such; anything else is a
// prefix, read with SCAN MATCH key/* (Redis' '*' also matches '/', so every
// level below) and a GET per key, strings only.
func (rc *redisClient) GetValues(keys []string) (map[string]string, error) {
	c, err := rc.dial()
	if err != nil {
		return nil, err
	}
	defer c.c.Close()
	vars := map[string]string{}
	for _, key := range keys {
		key = strings.Replace(key, "/*", "", -1)
		t, err := c.do("TYPE", key)
		if err != nil {
			return vars, err
		}
		switch t {
		case "string":
			if v, err := c.do("GET", key); err == nil {
				vars[key] = fmt.Sprint(v)
			}
			continue
		case "hash":
			return vars, fmt.Errorf("%s is a hash: not read by this stand-in", key)
		}
		pattern := key + "/*"
		if key == "/" {
			pattern = "*"
		}
		if err := c.scan(pattern, vars); err != nil {
			return vars, err
		}
	}
	return vars, nil
}

func (c *conn) scan(pattern string, vars map[string]string) error {
	cursor := "0"
	for {
		reply, err := c.do("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
		if err != nil {
			return err
		}
		parts, ok := reply.([]interface{})
		if !ok || len(parts) != 2 {
			return errors.New("bad SCAN reply")
		}
		cursor, _ = parts[0].(string)
		items, _ := parts[1].([]interface{})
		for _, k := range items {
			key, _ := k.(string)
			if v, err := c.do("GET", key); err == nil {
				if s, ok := v.(string); ok {
					vars["/"+strings.TrimPrefix(key, "/")] = s
				}
			}
		}
		if cursor == "0" {
			return nil
		}
	}
}

// confd re-renders on these keyspace events (and not on "expired").
var watchedEvents = map[string]bool{"del": true, "append": true, "rename_from": true,
	"rename_to": true, "expire": true, "set": true, "incrby": true, "incrbyfloat": true,
	"hset": true, "hincrby": true, "hincrbyfloat": true, "hdel": true}

// watch: PSUBSCRIBE __keyspace@DB__:PREFIX* as confd's WatchPrefix does;
// one signal per burst of watched events (coalesced), an error per lost
// subscription (then subscribed again).
func (rc *redisClient) watch(prefix string) <-chan error {
	out := make(chan error, 1)
	subscribed := make(chan struct{})
	go func() {
		first := true
		for {
			err := rc.subscribe(prefix, out, subscribed, first)
			first = false
			out <- fmt.Errorf("redis watch: %v", err)
			time.Sleep(time.Second)
		}
	}()
	<-subscribed // no event between the first run and the subscription is lost
	return out
}

func (rc *redisClient) subscribe(prefix string, out chan error, subscribed chan struct{}, first bool) error {
	c, err := rc.dial()
	if err != nil {
		if first {
			close(subscribed)
		}
		return err
	}
	defer c.c.Close()
	if _, err := c.do("PSUBSCRIBE", fmt.Sprintf("__keyspace@%d__:%s*", c.db, prefix)); err != nil {
		return err
	}
	if first {
		close(subscribed)
	}
	for {
		msg, err := c.read()
		if err != nil {
			return err
		}
		parts, _ := msg.([]interface{})
		if len(parts) == 4 && parts[0] == "pmessage" && watchedEvents[fmt.Sprint(parts[3])] {
			select {
			case out <- nil:
			default: // a run is pending already
			}
		}
	}
}

// --- a minimal RESP client ---

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
