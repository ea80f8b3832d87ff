// Command kop-e2e-go is the franz-go client of tests/e2e/test_go_client.py. It talks to the
// broker with franz-go's defaults (an idempotent producer) and prints JSON lines for the Python
// test to check; it asserts nothing itself.
//
//	-mode produce:  for each codec in -codecs, a new client with that batch compression
//	                produces -n records to partition <index of the codec> of -topic, with keys,
//	                two headers (one binary, not UTF-8) and explicit timestamps (-ts-base + 7*i ms);
//	                one "produced" line per codec.
//	-mode consume:  a new client reads every partition of the codecs from the start in direct
//	                partition mode (ConsumePartitions, no group) until it has n*len(codecs)
//	                records or -timeout passes; one "record" line per record, then "consumed".
//	-mode offsets:  ListOffsets (raw kmsg request) for earliest (-2) and latest (-1) of each
//	                partition; one "offsets" line per partition, and a "versions" line with the
//	                versions franz-go negotiates with the broker.
//	-mode group:    a member of the classic consumer group -group (kgo.ConsumerGroup) consuming
//	                -topic from the start: BlockRebalanceOnPoll, auto commit off; each poll of at
//	                most 20 records is printed ("records": [partition, offset, key]) and committed
//	                with CommitRecords ("committed" or "commit_failed") before AllowRebalance.
//	                "assigned"/"revoked"/"lost" lines come from the group callbacks, with the
//	                generation and member id of GroupMetadata. -balancer picks the assignor,
//	                -session-timeout the session, -rate throttles to about N records/s. Commands on
//	                standard input: "close" (Close: leaves the group), "nocommit" (stop
//	                committing), "fast" (no throttle). Used by tests/e2e/test_groups_clients.py.
//	-mode secure:   produce, consume in -group and commit over SASL and/or TLS: see secure.go.
//
// The records are a pure function of (codec, i): see makeRecord, repeated in the Python test.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

var codecs = map[string]kgo.CompressionCodec{
	"none":   kgo.NoCompression(),
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

var out = json.NewEncoder(os.Stdout)

func emit(v any) {
	if err := out.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "writing stdout:", err)
		os.Exit(2)
	}
}

// makeRecord is record i of a codec's partition. The value repeats a phrase so that every codec
// really compresses (franz-go sends a batch uncompressed when compressing does not shrink it).
func makeRecord(codec string, i int, tsBase int64) *kgo.Record {
	return &kgo.Record{
		Key:   []byte(fmt.Sprintf("key-%s-%d", codec, i)),
		Value: []byte(fmt.Sprintf("value-%s-%06d-", codec, i) + strings.Repeat("kop-native ", i%16)),
		Headers: []kgo.RecordHeader{
			{Key: "index", Value: []byte(fmt.Sprint(i))},
			{Key: "bin", Value: []byte{0xff, 0xfe, 0x00, 0xc3, 0x28, byte(i), byte(i >> 8), 0x80}},
		},
		Timestamp: time.UnixMilli(tsBase + 7*int64(i)),
	}
}

type config struct {
	bootstrap string
	topic     string
	n         int
	codecs    []string
	tsBase    int64
	timeout   time.Duration
	debug     bool
	noIdem    bool
	// -mode group
	group          string
	clientID       string
	balancer       string
	sessionTimeout time.Duration
	rate           float64
}

func newClient(c config, opts ...kgo.Opt) *kgo.Client {
	clientID := "kop-e2e-go"
	if c.clientID != "" {
		clientID = c.clientID
	}
	opts = append([]kgo.Opt{kgo.SeedBrokers(strings.Split(c.bootstrap, ",")...), kgo.ClientID(clientID)}, opts...)
	if c.debug {
		opts = append(opts, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, nil)))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kgo.NewClient:", err)
		os.Exit(2)
	}
	return cl
}

type produced struct {
	Event      string   `json:"event"`
	Codec      string   `json:"codec"`
	Partition  int32    `json:"partition"`
	Offsets    []int64  `json:"offsets"`
	Partitions []int32  `json:"partitions"`
	ProducerID int64    `json:"producer_id"`
	Errors     []string `json:"errors"`
	Millis     int64    `json:"ms"`
}

func produce(ctx context.Context, c config) {
	for p, codec := range c.codecs {
		start := time.Now()
		opts := []kgo.Opt{
			kgo.DefaultProduceTopic(c.topic),
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.ProducerBatchCompression(codecs[codec]),
			// No RecordDeliveryTimeout: franz-go measures it from each record's Timestamp,
			// which is set here to the past. The context bounds the wait instead.
		}
		if c.noIdem {
			opts = append(opts, kgo.DisableIdempotentWrite())
		}
		cl := newClient(c, opts...)
		records := make([]*kgo.Record, c.n)
		for i := range records {
			records[i] = makeRecord(codec, i, c.tsBase)
			records[i].Partition = int32(p)
		}
		res := produced{Event: "produced", Codec: codec, Partition: int32(p), ProducerID: -1,
			Offsets: []int64{}, Partitions: []int32{}, Errors: []string{}}
		pctx, cancel := context.WithTimeout(ctx, c.timeout)
		results := cl.ProduceSync(pctx, records...)
		cancel()
		for _, r := range results {
			if r.Err != nil {
				if len(res.Errors) < 10 {
					res.Errors = append(res.Errors, r.Err.Error())
				}
				continue
			}
			res.Offsets = append(res.Offsets, r.Record.Offset)
			res.Partitions = append(res.Partitions, r.Record.Partition)
			res.ProducerID = r.Record.ProducerID
		}
		cl.Close()
		res.Millis = time.Since(start).Milliseconds()
		emit(res)
	}
}

type header struct {
	Key   string `json:"k"`
	Value []byte `json:"v"` // base64 in JSON
}

type consumedRecord struct {
	Event       string   `json:"event"`
	Partition   int32    `json:"p"`
	Offset      int64    `json:"o"`
	Key         []byte   `json:"k"`
	Value       []byte   `json:"v"`
	Headers     []header `json:"h"`
	Timestamp   int64    `json:"ts"`
	TsType      int8     `json:"ts_type"`
	Compression uint8    `json:"compression"`
	ProducerID  int64    `json:"producer_id"`
}

func consume(ctx context.Context, c config) {
	start := time.Now()
	parts := map[int32]kgo.Offset{}
	for p := range c.codecs {
		parts[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl := newClient(c, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{c.topic: parts}))
	defer cl.Close()
	want := c.n * len(c.codecs)
	got := 0
	errs := []string{}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	for got < want && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			if len(errs) < 20 {
				errs = append(errs, fmt.Sprintf("%s/%d: %v", t, p, err))
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			hs := make([]header, 0, len(r.Headers))
			for _, h := range r.Headers {
				hs = append(hs, header{h.Key, h.Value})
			}
			emit(consumedRecord{"record", r.Partition, r.Offset, r.Key, r.Value, hs, r.Timestamp.UnixMilli(),
				r.Attrs.TimestampType(), r.Attrs.CompressionType(), r.ProducerID})
			got++
		})
	}
	emit(map[string]any{"event": "consumed", "count": got, "errors": errs,
		"ms": time.Since(start).Milliseconds()})
}

func offsets(ctx context.Context, c config) {
	cl := newClient(c)
	defer cl.Close()
	lookup := func(ts int64) (*kmsg.ListOffsetsResponse, error) {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = c.topic
		for p := range c.codecs {
			part := kmsg.NewListOffsetsRequestTopicPartition()
			part.Partition = int32(p)
			part.Timestamp = ts
			t.Partitions = append(t.Partitions, part)
		}
		req.Topics = append(req.Topics, t)
		resp, err := req.RequestWith(ctx, cl)
		return resp, err
	}
	type result struct {
		Event     string `json:"event"`
		Partition int32  `json:"partition"`
		Earliest  int64  `json:"earliest"`
		Latest    int64  `json:"latest"`
		ErrorE    int16  `json:"error_earliest"`
		ErrorL    int16  `json:"error_latest"`
	}
	results := map[int32]*result{}
	for p := range c.codecs {
		results[int32(p)] = &result{Event: "offsets", Partition: int32(p), Earliest: -100, Latest: -100,
			ErrorE: -100, ErrorL: -100}
	}
	for _, ts := range []int64{-2, -1} {
		resp, err := lookup(ts)
		if err != nil {
			emit(map[string]any{"event": "offsets_error", "timestamp": ts, "error": err.Error()})
			continue
		}
		for _, t := range resp.Topics {
			for _, part := range t.Partitions {
				r, ok := results[part.Partition]
				if t.Topic != c.topic || !ok {
					emit(map[string]any{"event": "offsets_error", "timestamp": ts,
						"error": fmt.Sprintf("unexpected %s/%d in the response", t.Topic, part.Partition)})
					continue
				}
				if ts == -2 {
					r.Earliest, r.ErrorE = part.Offset, part.ErrorCode
				} else {
					r.Latest, r.ErrorL = part.Offset, part.ErrorCode
				}
			}
		}
	}
	for p := range c.codecs {
		emit(results[int32(p)])
	}
	// The versions franz-go uses: the lower of the broker's maximum and its own.
	versions := map[string]int16{}
	if resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl); err == nil {
		mine := kversion.Stable()
		for _, k := range resp.ApiKeys {
			if m, ok := mine.LookupMaxKeyVersion(k.ApiKey); ok {
				v := min(m, k.MaxVersion)
				versions[kmsg.NameForKey(k.ApiKey)] = v
			}
		}
	}
	emit(map[string]any{"event": "versions", "versions": versions})
}

var balancers = map[string]func() kgo.GroupBalancer{
	"range":              kgo.RangeBalancer,
	"roundrobin":         kgo.RoundRobinBalancer,
	"sticky":             kgo.StickyBalancer,
	"cooperative-sticky": kgo.CooperativeStickyBalancer,
}

func sortedPartitions(m map[string][]int32, topic string) []int32 {
	ps := append([]int32{}, m[topic]...)
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

func group(ctx context.Context, c config) {
	balancer, ok := balancers[c.balancer]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown -balancer %q\n", c.balancer)
		os.Exit(2)
	}
	var closing, noCommit atomic.Bool
	var rateBits atomic.Uint64
	rateBits.Store(uint64(c.rate * 1000))
	var cl *kgo.Client
	report := func(event string) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, cl *kgo.Client, m map[string][]int32) {
			member, gen := cl.GroupMetadata()
			emit(map[string]any{"event": event, "partitions": sortedPartitions(m, c.topic), "generation": gen,
				"member": member})
		}
	}
	cl = newClient(c,
		kgo.ConsumerGroup(c.group),
		kgo.ConsumeTopics(c.topic),
		kgo.Balancers(balancer()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.SessionTimeout(c.sessionTimeout),
		kgo.HeartbeatInterval(time.Second),
		kgo.RebalanceTimeout(20*time.Second),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(report("assigned")),
		kgo.OnPartitionsRevoked(report("revoked")),
		kgo.OnPartitionsLost(report("lost")),
	)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch line {
			case "close":
				closing.Store(true)
			case "nocommit":
				noCommit.Store(true)
			case "fast":
				rateBits.Store(0)
			}
			emit(map[string]any{"event": "command", "command": line})
		}
	}()
	emit(map[string]any{"event": "started", "client": "franz-go"})
	deadline := time.Now().Add(c.timeout)
	for !closing.Load() && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fetches := cl.PollRecords(pctx, 20)
		cancel()
		fetches.EachError(func(t string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			emit(map[string]any{"event": "fetch_error", "topic": t, "partition": p, "error": err.Error()})
		})
		recs := fetches.Records()
		if len(recs) == 0 {
			cl.AllowRebalance()
			continue
		}
		out := make([][]any, 0, len(recs))
		next := map[string]int64{}
		for _, r := range recs {
			out = append(out, []any{r.Partition, r.Offset, string(r.Key)})
			next[strconv.Itoa(int(r.Partition))] = r.Offset + 1
		}
		emit(map[string]any{"event": "records", "records": out})
		if !noCommit.Load() {
			cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
			err := cl.CommitRecords(cctx, recs...)
			ccancel()
			if err != nil {
				emit(map[string]any{"event": "commit_failed", "offsets": next, "error": err.Error()})
			} else {
				_, gen := cl.GroupMetadata()
				emit(map[string]any{"event": "committed", "offsets": next, "generation": gen})
			}
		}
		cl.AllowRebalance()
		if r := float64(rateBits.Load()) / 1000; r > 0 {
			time.Sleep(time.Duration(float64(len(recs)) / r * float64(time.Second)))
		}
	}
	cl.Close() // leaves the group
	emit(map[string]any{"event": "closed"})
}

func main() {
	var c config
	var codecList, mode string
	flag.StringVar(&c.bootstrap, "bootstrap", "127.0.0.1:9092", "bootstrap broker(s), comma separated")
	flag.StringVar(&c.topic, "topic", "", "topic (its partitions 0..len(codecs)-1 are used)")
	flag.IntVar(&c.n, "n", 1000, "records per codec")
	flag.StringVar(&codecList, "codecs", "none,gzip,snappy,lz4,zstd", "compression codecs, one partition each")
	flag.Int64Var(&c.tsBase, "ts-base", 1700000000000, "timestamp of record 0, ms since the epoch")
	flag.DurationVar(&c.timeout, "timeout", 90*time.Second, "deadline of each codec's produce, and of the consume")
	flag.BoolVar(&c.debug, "debug", false, "franz-go's debug log on stderr")
	flag.BoolVar(&c.noIdem, "no-idempotence", false, "produce with DisableIdempotentWrite (for diagnosis)")
	flag.StringVar(&c.group, "group", "", "-mode group: the consumer group")
	flag.StringVar(&c.clientID, "client-id", "", "client id (default kop-e2e-go)")
	flag.StringVar(&c.balancer, "balancer", "range", "-mode group: range | roundrobin | sticky | cooperative-sticky")
	flag.DurationVar(&c.sessionTimeout, "session-timeout", 6*time.Second, "-mode group: session timeout")
	flag.Float64Var(&c.rate, "rate", 0, "-mode group: about this many records/s (0: no throttle)")
	flag.StringVar(&mode, "mode", "", "produce | consume | offsets | group | secure")
	flag.Parse()
	c.codecs = strings.Split(codecList, ",")
	for _, name := range c.codecs {
		if _, ok := codecs[name]; !ok {
			fmt.Fprintf(os.Stderr, "unknown codec %q\n", name)
			os.Exit(2)
		}
	}
	if c.topic == "" || c.n <= 0 || (mode == "group" && c.group == "") {
		fmt.Fprintln(os.Stderr, "-topic and a positive -n are required (and -group for -mode group)")
		os.Exit(2)
	}
	ctx := context.Background()
	switch mode {
	case "produce":
		produce(ctx, c)
	case "consume":
		consume(ctx, c)
	case "offsets":
		offsets(ctx, c)
	case "group":
		group(ctx, c)
	case "secure":
		secure(ctx, c)
	default:
		fmt.Fprintf(os.Stderr, "unknown -mode %q\n", mode)
		os.Exit(2)
	}
}
