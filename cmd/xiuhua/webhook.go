package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

const webhookUsage = `usage:
  xiuhua webhook add -url URL [-topics case.*,deadline.*] [-secret S]   subscribe (a secret is generated when not given)
  xiuhua webhook list                                                   subscribers
  xiuhua webhook deliveries [-state pending|done|parked]                recent deliveries
  xiuhua webhook replay (-id DELIVERY | -webhook ID)                    send parked deliveries again
  xiuhua webhook pause|resume -webhook ID`

// runWebhook administers webhook subscribers from the command line.
func runWebhook(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", webhookUsage)
	}
	var url, topics, secret, state string
	var id, hook int64
	_, st, err := parseOpen(ctx, "webhook "+args[0], args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&url, "url", "", "subscriber URL (http or https)")
		fs.StringVar(&topics, "topics", "*", "comma-separated topics: case.<action>, deadline.warning, supervision.overdue, or prefix.*")
		fs.StringVar(&secret, "secret", "", "signing secret (at least 16 characters)")
		fs.StringVar(&state, "state", "", "delivery state to list")
		fs.Int64Var(&id, "id", 0, "delivery id")
		fs.Int64Var(&hook, "webhook", 0, "webhook id")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "add":
		if secret == "" {
			b := make([]byte, 24)
			rand.Read(b)
			secret = hex.EncodeToString(b)
		}
		h := &store.Webhook{URL: url, Secret: secret, Topics: strings.Split(topics, ",")}
		if err := st.CreateWebhook(ctx, h); err != nil {
			return err
		}
		fmt.Printf("webhook %d: %s %v\nsecret: %s\n(signature: X-Xiuhua-Signature = sha256=HMAC-SHA256(secret, X-Xiuhua-Timestamp + \".\" + body))\n",
			h.ID, h.URL, h.Topics, secret)
	case "list":
		hs, err := st.Webhooks(ctx)
		if err != nil {
			return err
		}
		counts, err := st.DeliveryCounts(ctx)
		if err != nil {
			return err
		}
		for _, h := range hs {
			fmt.Printf("%d\t%s\t%s\tactive=%v\n", h.ID, h.URL, strings.Join(h.Topics, ","), h.Active)
		}
		fmt.Printf("deliveries: %d pending, %d done, %d parked\n", counts[store.DeliveryPending], counts[store.DeliveryDone], counts[store.DeliveryParked])
	case "deliveries":
		ds, err := st.Deliveries(ctx, state, 100)
		if err != nil {
			return err
		}
		for _, d := range ds {
			fmt.Printf("%d\twebhook %d\tmessage %d\t%s\t%s\tattempts %d\tlast %d %s\n", d.ID, d.WebhookID, d.OutboxID, d.Topic,
				d.State, d.Attempts, d.LastStatus, d.LastError)
		}
	case "replay":
		if id == 0 && hook == 0 {
			return fmt.Errorf("replay needs -id DELIVERY or -webhook ID")
		}
		n, err := st.Replay(ctx, id, hook, time.Now())
		if err != nil {
			return err
		}
		fmt.Printf("%d parked deliveries queued again\n", n)
	case "pause", "resume":
		if hook == 0 {
			return fmt.Errorf("%s needs -webhook ID", args[0])
		}
		return st.SetWebhookActive(ctx, hook, args[0] == "resume")
	default:
		return fmt.Errorf("unknown webhook command %q\n%s", args[0], webhookUsage)
	}
	return nil
}
