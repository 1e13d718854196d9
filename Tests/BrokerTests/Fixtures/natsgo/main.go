// natsgo runs the nats.go client's view of the behaviours Surge's broker must share with nats-server
// and prints one line per check: "name: ok" or "name: FAIL why". Built by BrokerNATSGoTests with
// Debian's golang-github-nats-io-go-nats-dev (GOPATH mode, no network).
//
//	natsgo URL [TOKEN]
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	url := os.Args[1]
	var opts []nats.Option
	if len(os.Args) > 2 {
		opts = append(opts, nats.Token(os.Args[2]))
		check("wrong-token", func() error {
			nc, err := nats.Connect(url, nats.Token("wrong"), nats.MaxReconnects(0))
			if err == nil {
				nc.Close()
				return errors.New("connected with a wrong token")
			}
			if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
				return fmt.Errorf("unexpected error %q", err)
			}
			return nil
		})
	}
	nc, err := nats.Connect(url, append(opts, nats.Name("natsgo-check"))...)
	if err != nil {
		fmt.Printf("connect: FAIL %v\n", err)
		os.Exit(1)
	}
	defer nc.Close()
	check("headers-supported", func() error {
		if !nc.HeadersSupported() {
			return errors.New("INFO does not say headers")
		}
		return nil
	})
	check("request-reply", func() error {
		sub, _ := nc.Subscribe("svc.echo", func(m *nats.Msg) { m.Respond(append([]byte("re:"), m.Data...)) })
		defer sub.Unsubscribe()
		nc.Flush()
		m, err := nc.Request("svc.echo", []byte("hi"), 2*time.Second)
		if err != nil {
			return err
		}
		if string(m.Data) != "re:hi" {
			return fmt.Errorf("reply %q", m.Data)
		}
		return nil
	})
	check("no-responders", func() error {
		start := time.Now()
		_, err := nc.Request("nobody.home", []byte("x"), 3*time.Second)
		if !errors.Is(err, nats.ErrNoResponders) {
			return fmt.Errorf("error %v, want no responders", err)
		}
		if time.Since(start) > time.Second {
			return fmt.Errorf("took %v", time.Since(start))
		}
		return nil
	})
	check("headers", func() error {
		sub, _ := nc.SubscribeSync("hdr.subject")
		defer sub.Unsubscribe()
		nc.Flush()
		msg := nats.NewMsg("hdr.subject")
		msg.Header.Set("X-Trace", "abc")
		msg.Data = []byte("body")
		if err := nc.PublishMsg(msg); err != nil {
			return err
		}
		got, err := sub.NextMsg(2 * time.Second)
		if err != nil {
			return err
		}
		if got.Header.Get("X-Trace") != "abc" || string(got.Data) != "body" {
			return fmt.Errorf("got header %q body %q", got.Header.Get("X-Trace"), got.Data)
		}
		return nil
	})
	check("queue-group", func() error {
		var a, b int64
		s1, _ := nc.QueueSubscribe("work", "g", func(*nats.Msg) { atomic.AddInt64(&a, 1) })
		s2, _ := nc.QueueSubscribe("work", "g", func(*nats.Msg) { atomic.AddInt64(&b, 1) })
		defer s1.Unsubscribe()
		defer s2.Unsubscribe()
		nc.Flush()
		for i := 0; i < 200; i++ {
			nc.Publish("work", []byte("j"))
		}
		nc.Flush()
		deadline := time.Now().Add(2 * time.Second)
		for atomic.LoadInt64(&a)+atomic.LoadInt64(&b) < 200 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		if n := atomic.LoadInt64(&a) + atomic.LoadInt64(&b); n != 200 {
			return fmt.Errorf("%d deliveries for 200 messages", n)
		}
		return nil
	})
	check("wildcards", func() error {
		one, _ := nc.SubscribeSync("orders.*")
		all, _ := nc.SubscribeSync("orders.>")
		defer one.Unsubscribe()
		defer all.Unsubscribe()
		nc.Flush()
		nc.Publish("orders.eu", nil)
		nc.Publish("orders.eu.1", nil)
		nc.Flush()
		time.Sleep(100 * time.Millisecond)
		n1, _, _ := one.Pending()
		n2, _, _ := all.Pending()
		if n1 != 1 || n2 != 2 {
			return fmt.Errorf("orders.* got %d (want 1), orders.> got %d (want 2)", n1, n2)
		}
		return nil
	})
	check("auto-unsubscribe", func() error {
		sub, _ := nc.SubscribeSync("limited")
		sub.AutoUnsubscribe(3)
		nc.Flush()
		for i := 0; i < 5; i++ {
			nc.Publish("limited", nil)
		}
		nc.Flush()
		time.Sleep(100 * time.Millisecond)
		if n, _, _ := sub.Pending(); n != 3 {
			return fmt.Errorf("%d messages after AutoUnsubscribe(3)", n)
		}
		return nil
	})
	check("rtt", func() error {
		_, err := nc.RTT()
		return err
	})
	check("drain", func() error {
		c2, err := nats.Connect(url, opts...)
		if err != nil {
			return err
		}
		closed := make(chan struct{})
		c2.SetClosedHandler(func(*nats.Conn) { close(closed) })
		c2.Subscribe("drain.me", func(*nats.Msg) {})
		c2.Flush()
		if err := c2.Drain(); err != nil {
			return err
		}
		select {
		case <-closed:
			return nil
		case <-time.After(3 * time.Second):
			return errors.New("not closed 3s after Drain")
		}
	})
}

func check(name string, body func() error) {
	if err := body(); err != nil {
		fmt.Printf("%s: FAIL %v\n", name, err)
		return
	}
	fmt.Printf("%s: ok\n", name)
}
