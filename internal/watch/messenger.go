package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Messenger carries inbox lines out through the channels. Every instance
// runs one: planning is idempotent (each send has a key, whichever
// instance plans it first writes it) and sending claims each send, so
// two instances on one database send each message once. A channel that
// fails or throttles waits and is tried again without holding up the
// others: each channel (each robot) is worked on by its own goroutine.
type Messenger struct {
	Store *store.Store
	// Calendar is the working calendar in force (quiet hours and the
	// ladder's waits are working time); nil: any time is working time.
	Calendar func() *calendar.Calendar
	Ladder   notify.Ladder
	SMS      channel.Channel // nil: no SMS gateway
	Mail     channel.Channel // nil: no mail server
	// SMSTemplate is the gateway's approved template for notices (Aliyun);
	// its parameter "text" is the message.
	SMSTemplate string
	// Follow is the public page of a case, linked from a requester's
	// messages (nil: no link).
	Follow func(number string) string
	// RobotBase overrides the robots' vendor endpoints by kind (tests).
	RobotBase map[string]string
	Now       func() time.Time
	Hold      time.Duration // a claim (default one minute)
	Attempts  int           // tries before a send fails (default 6)
	Batch     int           // sends claimed at a time (default 200)

	mu     sync.Mutex
	robots map[int64]robotAdapter
}

type robotAdapter struct {
	at time.Time // the robot's updated_at when built
	ch channel.Channel
}

// MessengerResult counts one round.
type MessengerResult struct {
	Planned, Sent, Failed, Skipped, Retried int
}

func (m *Messenger) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Messenger) cal() *calendar.Calendar {
	if m.Calendar == nil {
		return nil
	}
	return m.Calendar()
}

// PlanOnce plans the sends of the inbox lines written since the last
// planning, a batch at a time, until none are left.
func (m *Messenger) PlanOnce(ctx context.Context) (int, error) {
	planned := 0
	if ok, err := m.Store.Reachable(ctx); err != nil || !ok {
		if err == nil {
			err = m.Store.SkipLines(ctx)
		}
		return 0, err
	}
	for {
		lines, err := m.Store.LinesToPlan(ctx, 500)
		if err != nil || len(lines) == 0 {
			return planned, err
		}
		var sends []notify.Send
		// Lines of a batch share their units and people: each is looked up once.
		reach := map[string]notify.Reach{}
		for _, l := range lines {
			k := fmt.Sprintf("%d/%d/%t", l.UnitID, l.AccountID, l.Ladder)
			r, ok := reach[k]
			if !ok {
				if r, err = m.Store.ReachOf(ctx, l); err != nil {
					return planned, err
				}
				reach[k] = r
			}
			sends = append(sends, notify.Plan(l, r, m.Ladder, m.cal())...)
		}
		ids := make([]int64, len(lines))
		for i, l := range lines {
			ids[i] = l.ID
		}
		if err := m.Store.AddSends(ctx, sends, ids, m.now()); err != nil {
			return planned, err
		}
		planned += len(sends)
		if len(lines) < 500 {
			return planned, nil
		}
	}
}

// DigestOnce plans the morning digests once a working day has started
// (and, on a week's first working day, the weekly one), once per day
// whichever instance comes first; it answers how many sends it planned.
func (m *Messenger) DigestOnce(ctx context.Context) (int, error) {
	now, cal := m.now(), m.cal()
	day, ok := notify.DigestDay(now, cal)
	if !ok {
		return 0, nil
	}
	name := "digest:" + day.Format("2006-01-02")
	if done, err := m.Store.Marked(ctx, name); err != nil || done {
		return 0, err
	}
	// Closed "yesterday": since the working day before (a Monday's
	// digest covers the weekend).
	from := day.AddDate(0, 0, -1)
	for i := 0; i < 14 && cal != nil && !cal.IsWorkingDay(from); i++ {
		from = from.AddDate(0, 0, -1)
	}
	units, err := m.Store.DigestUnits(ctx, now, day.AddDate(0, 0, 1), from, day)
	if err != nil {
		return 0, err
	}
	var week *notify.Week
	if notify.FirstOfWeek(day, cal) {
		monday := day.AddDate(0, 0, -(int(day.Weekday())+6)%7)
		w, err := m.Store.DigestWeek(ctx, monday.AddDate(0, 0, -7), monday, now)
		if err != nil {
			return 0, err
		}
		week = &w
	}
	sends := notify.PlanDigests(day, units, week, now)
	if err := m.Store.AddSends(ctx, sends, nil, now); err != nil {
		return 0, err
	}
	return len(sends), m.Store.Mark(ctx, name, day.AddDate(0, 0, 7))
}

// SendOnce plans, then claims the sends due now and sends them, each
// channel on its own.
func (m *Messenger) SendOnce(ctx context.Context) (MessengerResult, error) {
	var res MessengerResult
	n, err := m.PlanOnce(ctx)
	res.Planned = n
	if err != nil {
		return res, err
	}
	if n, err = m.DigestOnce(ctx); err != nil {
		return res, err
	}
	res.Planned += n
	hold, batch := m.Hold, m.Batch
	if hold <= 0 {
		hold = time.Minute
	}
	if batch <= 0 {
		batch = 200
	}
	claimed, err := m.Store.ClaimSends(ctx, m.now(), hold, batch)
	if err != nil || len(claimed) == 0 {
		return res, err
	}
	groups := map[string][]store.SendRecord{}
	var order []string
	for _, d := range claimed {
		k := d.Channel
		if d.Channel == notify.SendRobot {
			k += ":" + d.Address
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], d)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var first error
	for _, k := range order {
		wg.Add(1)
		go func(ds []store.SendRecord) {
			defer wg.Done()
			r, err := m.sendGroup(ctx, ds)
			mu.Lock()
			defer mu.Unlock()
			res.Sent, res.Failed, res.Skipped, res.Retried = res.Sent+r.Sent, res.Failed+r.Failed, res.Skipped+r.Skipped, res.Retried+r.Retried
			if err != nil && first == nil {
				first = err
			}
		}(groups[k])
	}
	wg.Wait()
	return res, first
}

// sendGroup sends one channel's claimed sends in order; once the channel
// throttles, the rest of the group waits with it instead of hammering it.
func (m *Messenger) sendGroup(ctx context.Context, ds []store.SendRecord) (MessengerResult, error) {
	var res MessengerResult
	var wait time.Time
	ids, outs := make([]int64, 0, len(ds)), make([]store.SendOutcome, 0, len(ds))
	// Outcomes are written together, every 50 sends and at the end: a
	// crash in between re-sends at most those (their claims run out), which
	// the adapters' own receipts and Message-IDs recognise where they can.
	flush := func() error {
		err := m.Store.FinishSends(ctx, ids, outs)
		ids, outs = ids[:0], outs[:0]
		return err
	}
	for _, d := range ds {
		now := m.now()
		var o store.SendOutcome
		switch {
		case !wait.IsZero():
			o = store.SendOutcome{State: "queued", NotBefore: wait, Requeue: true, Error: "throttled"}
		default:
			o = m.attempt(ctx, d, now)
			if o.Requeue && o.Error != "" && o.Error != "quiet hours" {
				wait = o.NotBefore
			}
		}
		ids, outs = append(ids, d.ID), append(outs, o)
		if len(ids) >= 50 {
			if err := flush(); err != nil {
				return res, err
			}
		}
		switch o.State {
		case "sent":
			res.Sent++
		case "failed":
			res.Failed++
		case "skipped":
			res.Skipped++
		default:
			res.Retried++
		}
	}
	return res, flush()
}

// attempt sends d once and says how it ended.
func (m *Messenger) attempt(ctx context.Context, d store.SendRecord, now time.Time) store.SendOutcome {
	if d.Step > notify.StepDirect {
		acted, err := m.Store.Acted(ctx, d)
		if err != nil {
			return m.retry(d, now, err.Error())
		}
		if acted {
			return store.SendOutcome{State: "skipped", Error: "acted on"}
		}
	}
	// A send that came due outside working time (a backlog, a retry)
	// waits for it, unless it is urgent.
	if cal := m.cal(); d.Level != string(notify.Urgent) && !notify.Working(now, cal) {
		return store.SendOutcome{State: "queued", NotBefore: cal.Add(now, time.Minute).Add(-time.Minute), Requeue: true, Error: "quiet hours"}
	}
	ch, err := m.channelOf(ctx, d)
	if err != nil {
		return store.SendOutcome{State: "failed", Error: err.Error()}
	}
	if d.Params != nil && m.Follow != nil && strings.HasPrefix(d.Kind, "requester_") {
		d.Params["link"] = m.Follow(d.Params["number"])
	}
	text := notify.Render(d.Lang, d.Kind, d.Params)
	msg := channel.Message{ID: "send-" + strconv.FormatInt(d.ID, 10), Subject: text, Text: text, Level: string(d.Level)}
	switch d.Channel {
	case notify.SendSMS:
		msg.To, msg.Template = []string{d.Address}, m.SMSTemplate
		msg.Params = map[string]string{"text": text}
	case notify.SendMail:
		msg.To = []string{d.Address}
	case notify.SendRobot:
		msg.Subject = "" // a notice is one line: a plain text message
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	rc, err := ch.Send(sctx, msg)
	cancel()
	if err == nil {
		return store.SendOutcome{State: "sent", ProviderID: rc.ProviderID, At: m.now()}
	}
	ce := channel.AsError(err)
	switch {
	case ce == nil:
		return m.retry(d, now, err.Error())
	case ce.Throttled:
		after := max(ce.After, 30*time.Second)
		return store.SendOutcome{State: "queued", NotBefore: now.Add(after), Requeue: true, Error: ce.Error()}
	case ce.Retry:
		return m.retry(d, now, ce.Error())
	}
	slog.Warn("notification send failed", "send", d.ID, "channel", d.Channel, "err", ce.Error())
	return store.SendOutcome{State: "failed", Error: ce.Error()}
}

// retry queues d again with a doubling wait, or fails it after the last try.
func (m *Messenger) retry(d store.SendRecord, now time.Time, why string) store.SendOutcome {
	attempts := m.Attempts
	if attempts <= 0 {
		attempts = 6
	}
	if d.Attempts >= attempts {
		slog.Warn("notification send failed", "send", d.ID, "channel", d.Channel, "attempts", d.Attempts, "err", why)
		return store.SendOutcome{State: "failed", Error: why}
	}
	wait := min(time.Duration(1<<min(d.Attempts-1, 6))*time.Minute, time.Hour)
	return store.SendOutcome{State: "queued", NotBefore: now.Add(wait), Error: why}
}

var errNoChannel = errors.New("no such channel is configured")

// channelOf is the adapter a send goes through.
func (m *Messenger) channelOf(ctx context.Context, d store.SendRecord) (channel.Channel, error) {
	switch d.Channel {
	case notify.SendSMS:
		if m.SMS == nil {
			return nil, fmt.Errorf("sms: %w", errNoChannel)
		}
		return m.SMS, nil
	case notify.SendMail:
		if m.Mail == nil {
			return nil, fmt.Errorf("mail: %w", errNoChannel)
		}
		return m.Mail, nil
	case notify.SendRobot:
		return m.robot(ctx, d.RobotID)
	}
	return nil, fmt.Errorf("%s: %w", d.Channel, errNoChannel)
}

// robot builds (and keeps, for its send window) the adapter of a robot.
func (m *Messenger) robot(ctx context.Context, id int64) (channel.Channel, error) {
	bs, err := m.Store.Robots(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.robots == nil {
		m.robots = map[int64]robotAdapter{}
	}
	for _, b := range bs {
		if b.ID != id {
			continue
		}
		if !b.Active {
			return nil, fmt.Errorf("robot %d is turned off", id)
		}
		if a, ok := m.robots[id]; ok && a.at.Equal(b.UpdatedAt) {
			return a.ch, nil
		}
		ch, err := RobotChannel(b, m.RobotBase[b.Kind])
		if err != nil {
			return nil, err
		}
		m.robots[id] = robotAdapter{at: b.UpdatedAt, ch: ch}
		return ch, nil
	}
	return nil, fmt.Errorf("robot %d: %w", id, store.ErrNoRobot)
}

// RobotChannel is the adapter of a robot's kind (base: the vendor's
// endpoint unless given).
func RobotChannel(b store.RobotConfig, base string) (channel.Channel, error) {
	switch b.Kind {
	case channel.KindDingTalk:
		return channel.NewDingTalk(channel.DingTalkConfig{BaseURL: base, AccessToken: b.Token, Secret: b.Secret})
	case channel.KindWeCom:
		return channel.NewWeCom(channel.WeComConfig{BaseURL: base, Key: b.Token})
	case channel.KindFeishu:
		return channel.NewFeishu(channel.FeishuConfig{BaseURL: base, Token: b.Token, Secret: b.Secret})
	}
	return nil, fmt.Errorf("robot %d: unknown kind %q", b.ID, b.Kind)
}

// Run sends every interval until ctx ends.
func (m *Messenger) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := m.SendOnce(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("notification sends", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
