package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// etcdClient reads the store the way confd's etcdv3 backend
// (backends/etcdv3/client.go) does: one range per key with the prefix
// option (so every level below), all at one revision, keeping the key
// itself and the keys under key + "/" (not "/beachheadX").  confd speaks
// gRPC; the stand-in speaks the same KV API through etcd's JSON gateway.
type etcdClient struct {
	endpoints []string
}

type rangeRequest struct {
	Key        string `json:"key"`
	RangeEnd   string `json:"range_end"`
	Revision   int64  `json:"revision,string,omitempty"`
	SortOrder  string `json:"sort_order"`
	SortTarget string `json:"sort_target"`
}

type rangeResponse struct {
	Header struct {
		Revision int64 `json:"revision,string"`
	} `json:"header"`
	Kvs []struct {
		Key   []byte `json:"key"` // base64 in JSON, decoded by encoding/json
		Value []byte `json:"value"`
	} `json:"kvs"`
}

// prefixEnd: clientv3.GetPrefixRangeEnd.
func prefixEnd(key string) string {
	end := []byte(key)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return string(end[:i+1])
		}
	}
	return "\x00"
}

func (ec *etcdClient) GetValues(keys []string) (map[string]string, error) {
	vars := map[string]string{}
	var rev int64
	for _, key := range keys {
		resp, err := ec.rangePrefix(key, rev)
		if err != nil {
			return vars, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		under := key
		if !strings.HasSuffix(under, "/") {
			under += "/"
		}
		for _, kv := range resp.Kvs {
			if k := string(kv.Key); k == key || strings.HasPrefix(k, under) {
				vars[k] = string(kv.Value)
			}
		}
	}
	return vars, nil
}

// rangePrefix: the first endpoint that answers (confd's client balances
// over all of them).
func (ec *etcdClient) rangePrefix(key string, rev int64) (*rangeResponse, error) {
	body, err := json.Marshal(rangeRequest{
		Key:        base64.StdEncoding.EncodeToString([]byte(key)),
		RangeEnd:   base64.StdEncoding.EncodeToString([]byte(prefixEnd(key))),
		Revision:   rev,
		SortOrder:  "DESCEND",
		SortTarget: "KEY",
	})
	if err != nil {
		return nil, err
	}
	client := http.Client{Timeout: 3 * time.Second}
	for _, ep := range ec.endpoints {
		var r *http.Response
		r, err = client.Post(strings.TrimSuffix(ep, "/")+"/v3/kv/range", "application/json", bytes.NewReader(body))
		if err != nil {
			continue
		}
		var resp rangeResponse
		if r.StatusCode != http.StatusOK {
			err = fmt.Errorf("etcd %s: %s", ep, r.Status)
		} else {
			err = json.NewDecoder(r.Body).Decode(&resp)
		}
		r.Body.Close()
		if err == nil {
			return &resp, nil
		}
	}
	return nil, err
}
