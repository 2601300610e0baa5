// Command recorder-client drives one recording over Cilium's own generated
// recorder API (github.com/cilium/cilium/api/v1/recorder, the package the
// hubble CLI uses) and prints a JSON summary of every response on stdout.
//
// It proves tapedeck's agent against Cilium's Go types and gRPC client rather
// than tapedeck's own copy of the .proto file.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	recorderpb "github.com/cilium/cilium/api/v1/recorder"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

type filterList []string

func (f *filterList) String() string     { return strings.Join(*f, ",") }
func (f *filterList) Set(v string) error { *f = append(*f, v); return nil }

type options struct {
	server, ca, cert, key, serverName string
	plaintext                         bool
	prefix                            string
	include                           filterList
	maxCaptureLen                     uint
	packetLimit, bytesLimit           uint64
	timeLimit, stopAfter, timeout     time.Duration
}

type stats struct {
	BytesCaptured   uint64 `json:"bytesCaptured"`
	PacketsCaptured uint64 `json:"packetsCaptured"`
	PacketsLost     uint64 `json:"packetsLost"`
	BytesLost       uint64 `json:"bytesLost"`
}

type summary struct {
	Running   int    `json:"running"`
	Stopped   bool   `json:"stopped"`
	FilePath  string `json:"filePath,omitempty"`
	Stats     *stats `json:"stats,omitempty"`
	StopSent  bool   `json:"stopSent"`
	Time      string `json:"time,omitempty"`
	Node      string `json:"node,omitempty"`
	Code      string `json:"code,omitempty"`
	Error     string `json:"error,omitempty"`
	StreamEOF bool   `json:"streamEof"`
}

func main() {
	o := options{}
	flag.StringVar(&o.server, "server", "", "agent address host:port")
	flag.StringVar(&o.ca, "tls-ca", "", "CA certificate (PEM) that signed the agent's certificate")
	flag.StringVar(&o.cert, "tls-cert", "", "client certificate (PEM)")
	flag.StringVar(&o.key, "tls-key", "", "client key (PEM)")
	flag.StringVar(&o.serverName, "tls-server-name", "", "name to verify in the agent's certificate")
	flag.BoolVar(&o.plaintext, "plaintext", false, "connect without TLS (agent started with --insecure)")
	flag.StringVar(&o.prefix, "file-prefix", "hubble", "file sink prefix")
	flag.Var(&o.include, "include", `5-tuple filter "srcPrefix srcPort dstPrefix dstPort proto" (repeatable)`)
	flag.UintVar(&o.maxCaptureLen, "max-capture-len", 0, "snap length (0 = full)")
	flag.Uint64Var(&o.packetLimit, "packet-limit", 0, "stop after this many packets")
	flag.Uint64Var(&o.bytesLimit, "bytes-limit", 0, "stop after this many bytes")
	flag.DurationVar(&o.timeLimit, "time-limit", 0, "stop after this long (agent side)")
	flag.DurationVar(&o.stopAfter, "stop-after", 0, "send stop after this long (0 = only on SIGINT/SIGTERM)")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up after this long")
	flag.Parse()

	s, err := run(o)
	if err != nil {
		s.Error = err.Error()
		s.Code = status.Code(err).String()
	}
	out, _ := json.Marshal(s)
	fmt.Println(string(out))
	if err != nil || !s.Stopped {
		os.Exit(1)
	}
}

func run(o options) (s summary, err error) {
	var stopSent atomic.Bool
	defer func() { s.StopSent = stopSent.Load() }()
	filters, err := parseFilters(o.include)
	if err != nil {
		return s, err
	}
	creds, err := transportCredentials(o)
	if err != nil {
		return s, err
	}
	conn, err := grpc.NewClient(o.server, grpc.WithTransportCredentials(creds))
	if err != nil {
		return s, err
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	stream, err := recorderpb.NewRecorderClient(conn).Record(ctx)
	if err != nil {
		return s, err
	}
	err = stream.Send(&recorderpb.RecordRequest{RequestType: &recorderpb.RecordRequest_Start{
		Start: &recorderpb.StartRecording{
			Filesink:         &recorderpb.FileSinkConfiguration{FilePrefix: o.prefix},
			Include:          filters,
			MaxCaptureLength: uint32(o.maxCaptureLen),
			StopCondition: &recorderpb.StopCondition{
				BytesCapturedCount:   o.bytesLimit,
				PacketsCapturedCount: o.packetLimit,
				TimeElapsed:          durationpb.New(o.timeLimit),
			},
		},
	}})
	if err != nil {
		return s, err
	}

	stop := make(chan struct{}, 1)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		var after <-chan time.Time
		if o.stopAfter > 0 {
			after = time.After(o.stopAfter)
		}
		select {
		case <-sigs:
		case <-after:
		case <-ctx.Done():
			return
		}
		stop <- struct{}{}
	}()
	go func() {
		select {
		case <-stop:
		case <-ctx.Done():
			return
		}
		// Send runs concurrently with Recv, as the hubble CLI does.
		if err := stream.Send(&recorderpb.RecordRequest{RequestType: &recorderpb.RecordRequest_Stop{
			Stop: &recorderpb.StopRecording{},
		}}); err == nil {
			stopSent.Store(true)
		}
	}()

	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			s.StreamEOF = true
			return s, nil
		}
		if err != nil {
			return s, err
		}
		s.Node = resp.GetNodeName()
		s.Time = resp.GetTime().AsTime().UTC().Format(time.RFC3339Nano)
		switch {
		case resp.GetRunning() != nil:
			s.Running++
			s.Stats = toStats(resp.GetRunning().GetStats())
		case resp.GetStopped() != nil:
			s.Stopped = true
			s.Stats = toStats(resp.GetStopped().GetStats())
			s.FilePath = resp.GetStopped().GetFilesink().GetFilePath()
			// Keep reading: the server ends the stream after `stopped`.
		}
	}
}

func toStats(r *recorderpb.RecordingStatistics) *stats {
	return &stats{
		BytesCaptured:   r.GetBytesCaptured(),
		PacketsCaptured: r.GetPacketsCaptured(),
		PacketsLost:     r.GetPacketsLost(),
		BytesLost:       r.GetBytesLost(),
	}
}

func transportCredentials(o options) (credentials.TransportCredentials, error) {
	if o.plaintext {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.serverName}
	if o.ca != "" {
		pem, err := os.ReadFile(o.ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", o.ca)
		}
		cfg.RootCAs = pool
	}
	if o.cert != "" || o.key != "" {
		pair, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg), nil
}

func parseFilters(in []string) ([]*recorderpb.Filter, error) {
	if len(in) == 0 {
		return nil, errors.New("need at least one --include filter")
	}
	out := make([]*recorderpb.Filter, 0, len(in))
	for _, f := range in {
		parts := strings.Fields(f)
		if len(parts) != 5 {
			return nil, fmt.Errorf("invalid 5-tuple filter %q", f)
		}
		sport, err := strconv.ParseUint(parts[1], 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid source port %q", parts[1])
		}
		dport, err := strconv.ParseUint(parts[3], 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid destination port %q", parts[3])
		}
		proto, ok := recorderpb.Protocol_value["PROTOCOL_"+strings.ToUpper(parts[4])]
		if !ok {
			return nil, fmt.Errorf("unsupported protocol %q", parts[4])
		}
		out = append(out, &recorderpb.Filter{
			SourceCidr:      parts[0],
			SourcePort:      uint32(sport),
			DestinationCidr: parts[2],
			DestinationPort: uint32(dport),
			Protocol:        recorderpb.Protocol(proto),
		})
	}
	return out, nil
}
