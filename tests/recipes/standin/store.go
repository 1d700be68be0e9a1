package main

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// KVPair and store: confd's store (github.com/kelseyhightower/memkv):
// gets matches keys with path.Match (a '*' never crosses a '/') and
// returns them sorted by key; getvs sorts the values.
type KVPair struct {
	Key   string
	Value string
}

type store map[string]string

// newStore fills the store as confd's resource does: every key cleaned and
// relative to the prefix.
func newStore(vars map[string]string, prefix string) store {
	s := store{}
	for k, v := range vars {
		s[path.Join("/", strings.TrimPrefix(k, prefix))] = v
	}
	return s
}

func appendPrefix(prefix string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = path.Join(prefix, k)
	}
	return out
}

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
