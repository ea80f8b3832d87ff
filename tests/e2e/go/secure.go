// -mode secure: a round trip through a secured Kafka listener (tests/e2e/auth, tests/e2e/tls).
// The connection is set up from -sasl (plain | oauth | scram-sha-512 | none), -sasl-user and -token
// (PLAIN's password is "token:<jwt>"; OAUTHBEARER's bearer token is the JWT; SCRAM logs in as
// -sasl-user with -password), and -tls-ca (TLS, verifying
// the server against that CA), with -tls-cert/-tls-key for a client certificate (mTLS).
// A producer connects (Ping) and writes -n records to partition 0 of -topic (ProduceSync); a member of -group
// (kgo.ConsumerGroup, auto commit off) reads them, commits them (CommitUncommittedOffsets), and an
// OffsetFetch (raw kmsg request, v8+ group form) reads the commit back. Prints one "secure" JSON
// line: what was produced and consumed, the committed offset, and the first error, if any.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

var (
	saslMech = flag.String("sasl", "none", "-mode secure: plain | oauth | scram-sha-512 | none")
	saslUser = flag.String("sasl-user", "public/default", "-mode secure: PLAIN user name")
	jwt      = flag.String("token", "", "-mode secure: the JWT (PLAIN password token:<jwt>, or the bearer token)")
	password = flag.String("password", "", "-mode secure: the SCRAM password of -sasl-user")
	tlsCA    = flag.String("tls-ca", "", "-mode secure: CA file (PEM); set for TLS")
	tlsCert  = flag.String("tls-cert", "", "-mode secure: client certificate (PEM)")
	tlsKey   = flag.String("tls-key", "", "-mode secure: client key (PEM)")
)

type secureResult struct {
	Event     string   `json:"event"`
	Produced  int      `json:"produced"`
	Consumed  []string `json:"consumed"`
	Committed int64    `json:"committed"`
	Error     string   `json:"error"`
}

func securityOpts() ([]kgo.Opt, error) {
	var opts []kgo.Opt
	switch *saslMech {
	case "plain":
		opts = append(opts, kgo.SASL(plain.Auth{User: *saslUser, Pass: "token:" + *jwt}.AsMechanism()))
	case "oauth":
		opts = append(opts, kgo.SASL(oauth.Auth{Token: *jwt}.AsMechanism()))
	case "scram-sha-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: *saslUser, Pass: *password}.AsSha512Mechanism()))
	case "none":
	default:
		return nil, fmt.Errorf("unknown -sasl %q", *saslMech)
	}
	if *tlsCA != "" {
		pem, err := os.ReadFile(*tlsCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", *tlsCA)
		}
		cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if *tlsCert != "" {
			pair, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
			if err != nil {
				return nil, err
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	return opts, nil
}

func secure(ctx context.Context, c config) {
	res := secureResult{Event: "secure", Committed: -1, Consumed: []string{}}
	defer emit(&res)
	sec, err := securityOpts()
	if err != nil {
		res.Error = err.Error()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	// AllowAutoTopicCreation: the topic is created by the Metadata request, as the other clients
	// of the suites do it (franz-go does not ask for it by default).
	producer := newClient(c, append(sec, kgo.DefaultProduceTopic(c.topic), kgo.AllowAutoTopicCreation(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	// Ping first: a refused authentication is reported as such (a produce retries until the
	// deadline).
	if err := producer.Ping(ctx); err != nil {
		producer.Close()
		res.Error = "ping: " + err.Error()
		return
	}
	records := make([]*kgo.Record, c.n)
	for i := range records {
		records[i] = &kgo.Record{Value: []byte(fmt.Sprintf("go-%d", i)), Partition: 0}
	}
	err = producer.ProduceSync(ctx, records...).FirstErr()
	producer.Close()
	if err != nil {
		res.Error = "produce: " + err.Error()
		return
	}
	res.Produced = c.n

	member := newClient(c, append(sec, kgo.ConsumerGroup(c.group), kgo.ConsumeTopics(c.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())...)
	defer member.Close()
	for len(res.Consumed) < c.n && ctx.Err() == nil {
		fetches := member.PollFetches(ctx)
		if errs := fetches.Errors(); len(errs) > 0 && ctx.Err() == nil {
			res.Error = fmt.Sprintf("fetch: %v", errs[0].Err)
			return
		}
		fetches.EachRecord(func(r *kgo.Record) { res.Consumed = append(res.Consumed, string(r.Value)) })
	}
	if err := member.CommitUncommittedOffsets(ctx); err != nil {
		res.Error = "commit: " + err.Error()
		return
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	g := kmsg.NewOffsetFetchRequestGroup()
	g.Group = c.group
	t := kmsg.NewOffsetFetchRequestGroupTopic()
	t.Topic = c.topic
	t.Partitions = []int32{0}
	g.Topics = append(g.Topics, t)
	req.Groups = append(req.Groups, g)
	resp, err := req.RequestWith(ctx, member)
	if err != nil {
		res.Error = "offset fetch: " + err.Error()
		return
	}
	for _, rg := range resp.Groups {
		for _, rt := range rg.Topics {
			for _, rp := range rt.Partitions {
				if rp.ErrorCode != 0 {
					res.Error = fmt.Sprintf("offset fetch: error code %d", rp.ErrorCode)
				}
				res.Committed = rp.Offset
			}
		}
	}
}
