// Golden-frame capture client for franz-go. One scenario per run:
//
//	golden produce BOOTSTRAP CLIENT_ID TOPIC CODEC RECORDS_JSON_OUT
//	golden consume BOOTSTRAP CLIENT_ID EXPECTED_TOTAL TOPIC...
//	golden group   BOOTSTRAP CLIENT_ID GROUP EXPECTED_TOTAL TOPIC...
//
// The records are the shared deterministic set described in
// tests/fixtures/frames/README.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const n = 20
const baseTS = int64(1700000000000)

func key(i int) *string {
	if i == 7 {
		return nil
	}
	s := fmt.Sprintf("key-%02d", i)
	return &s
}

func value(i int) *string {
	if i == 13 {
		return nil
	}
	s := fmt.Sprintf("value-%02d", i) + strings.Repeat(" the quick brown fox jumps over the lazy dog", 4)
	return &s
}

type hdr struct {
	k string
	v *string
}

func headers(i int) []hdr {
	var h []hdr
	if i%3 >= 1 {
		v := fmt.Sprintf("v%02d", i)
		h = append(h, hdr{"h1", &v})
	}
	if i%3 == 2 {
		e := ""
		h = append(h, hdr{"h2", &e})
	}
	if i == 5 {
		h = append(h, hdr{"nullh", nil})
	}
	return h
}

func ts(i int) int64 { return baseTS + int64(i)*1000 }

func batchOf(i int) int {
	if i < 15 {
		return 0
	}
	return 1
}

func b(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

func codec(name string) kgo.CompressionCodec {
	switch name {
	case "none":
		return kgo.NoCompression()
	case "gzip":
		return kgo.GzipCompression()
	case "snappy":
		return kgo.SnappyCompression()
	case "lz4":
		return kgo.Lz4Compression()
	case "zstd":
		return kgo.ZstdCompression()
	}
	panic(name)
}

func franzVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/twmb/franz-go" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func die(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func produce(a []string) {
	bootstrap, clientID, topic, cname, out := a[0], a[1], a[2], a[3], a[4]
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.ClientID(clientID),
		kgo.ProducerBatchCompression(codec(cname)),
		kgo.ProducerLinger(5*time.Second),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	die(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type jrec struct {
		Topic     string       `json:"topic"`
		Partition int32        `json:"partition"`
		Batch     int          `json:"batch"`
		Key       *string      `json:"key"`
		Value     *string      `json:"value"`
		Headers   [][2]*string `json:"headers"`
		Timestamp int64        `json:"timestamp"`
	}
	var recs []jrec
	for i := 0; i < n; i++ {
		r := &kgo.Record{Topic: topic, Partition: 0, Key: b(key(i)), Value: b(value(i)), Timestamp: time.UnixMilli(ts(i))}
		jh := [][2]*string{}
		for _, h := range headers(i) {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.k, Value: b(h.v)})
			k := h.k
			jh = append(jh, [2]*string{&k, h.v})
		}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) { die(err) })
		recs = append(recs, jrec{topic, 0, batchOf(i), key(i), value(i), jh, ts(i)})
		if i+1 < n && batchOf(i+1) != batchOf(i) {
			die(cl.Flush(ctx))
		}
	}
	die(cl.Flush(ctx))
	doc := map[string]any{
		"client":     "franz-go " + franzVersion(),
		"codec":      cname,
		"idempotent": true,
		"note":       "records in send order; batch = which Flush() they were sent before (one RecordBatch per flush)",
		"records":    recs,
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	die(err)
	die(os.WriteFile(out, append(js, '\n'), 0o644))
}

func consume(a []string, group string) {
	bootstrap, clientID := a[0], a[1]
	expected, err := strconv.Atoi(a[2])
	die(err)
	topics := a[3:]
	opts := []kgo.Opt{
		kgo.SeedBrokers(bootstrap),
		kgo.ClientID(clientID),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
	if group == "" {
		parts := map[string]map[int32]kgo.Offset{}
		for _, t := range topics {
			parts[t] = map[int32]kgo.Offset{0: kgo.NewOffset().AtStart()}
		}
		opts = append(opts, kgo.ConsumePartitions(parts))
	} else {
		opts = append(opts, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topics...), kgo.DisableAutoCommit())
	}
	cl, err := kgo.NewClient(opts...)
	die(err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := 0
	for got < expected && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(t string, p int32, err error) {
			if err != context.DeadlineExceeded {
				fmt.Fprintln(os.Stderr, "fetch error", t, p, err)
			}
		})
		got += fs.NumRecords()
	}
	if group != "" {
		die(cl.CommitUncommittedOffsets(ctx))
		cl.LeaveGroup()
	}
	cl.Close()
	fmt.Fprintf(os.Stderr, "consume: got %d of %d\n", got, expected)
	if got < expected {
		os.Exit(1)
	}
}

func main() {
	switch os.Args[1] {
	case "produce":
		produce(os.Args[2:])
	case "consume":
		consume(os.Args[2:], "")
	case "group":
		consume(append([]string{os.Args[2], os.Args[3]}, os.Args[5:]...), os.Args[4])
	default:
		die(fmt.Errorf("unknown mode %s", os.Args[1]))
	}
}
