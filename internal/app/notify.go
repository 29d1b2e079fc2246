package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Reaching people beyond the inbox: the rules table documented, its dry
// run on a case, the units' group robots, each account's contacts and
// every send's record. Who is told what is notify's; this file checks
// what people ask for, reads and writes through the store, and never
// answers a secret, a phone or an e-mail address in full where it is not
// the reader's own.

// FieldError is a request about notifications refused: the code, the
// field at fault and why (for API clients; pages word the code and field).
type FieldError struct {
	Code  string
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// NotifyLadder is the escalation ladder the rules page and the dry run
// show: the one the binary gives the sender (-notify-ladder), or
// notify.DefaultLadder when none was given.
func (a *App) NotifyLadder() notify.Ladder {
	if a.Ladder != nil {
		return *a.Ladder
	}
	return notify.DefaultLadder
}

// RulesDoc is the notification rules table as its page shows it.
type RulesDoc struct {
	Rules    []notify.RuleText       `json:"rules"`
	Ladder   []notify.LadderStepText `json:"ladder"`
	Channels []ChannelView           `json:"channels"`
}

// ChannelView is a staff channel as the rules page shows it: whether the
// binary was given one, and its endpoint's host (never a secret).
type ChannelView struct {
	Kind       string `json:"kind"`
	Configured bool   `json:"configured"`
	Endpoint   string `json:"endpoint,omitempty"`
}

// NotificationRules is the rules table, the ladder and the channels,
// worded in lang.
func (a *App) NotificationRules(lang string) RulesDoc {
	doc := RulesDoc{Rules: notify.Describe(lang), Ladder: a.NotifyLadder().Describe(lang), Channels: []ChannelView{}}
	for _, k := range []string{channel.KindMail, channel.KindSMS} {
		v := ChannelView{Kind: k}
		if d, ok := a.Channels[k]; ok && d != nil {
			v.Configured, v.Endpoint = true, d.Redacted()
		}
		doc.Channels = append(doc.Channels, v)
	}
	return doc
}

// RobotKinds are the group robots there are adapters for.
var RobotKinds = []string{channel.KindDingTalk, channel.KindWeCom, channel.KindFeishu}

// RobotView is a robot as the admin page shows it: its unit by code and
// name, whether its token and secret are set, never what they are.
type RobotView struct {
	store.RobotInfo
	Unit     string `json:"unit"`
	UnitName string `json:"unit_name"`
}

// RobotInput is a robot as an administrator sends it: a token or secret
// left empty keeps the one stored.
type RobotInput struct {
	ID     int64
	Unit   string
	Kind   string
	Name   string
	Lang   string
	Active *bool
	Token  string
	Secret string
}

func robotView(b store.RobotInfo, units []org.Unit) RobotView {
	v := RobotView{RobotInfo: b}
	if i := slices.IndexFunc(units, func(u org.Unit) bool { return u.ID == b.UnitID }); i >= 0 {
		v.Unit, v.UnitName = units[i].Code, units[i].Name
	}
	return v
}

// Robots lists the group robots without their secrets.
func (a *App) Robots(ctx context.Context) ([]RobotView, error) {
	bs, err := a.Store.Robots(ctx)
	if err != nil {
		return nil, err
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RobotView, 0, len(bs))
	for _, b := range bs {
		out = append(out, robotView(b.RobotInfo, units))
	}
	return out, nil
}

// SaveRobot checks a robot and adds it (no id) or changes it; the answer
// says whether its secrets are set, never what they are.
func (a *App) SaveRobot(ctx context.Context, in RobotInput) (RobotView, error) {
	units, err := a.Store.Units(ctx)
	if err != nil {
		return RobotView{}, err
	}
	var old *store.RobotConfig
	if in.ID != 0 {
		bs, err := a.Store.Robots(ctx)
		if err != nil {
			return RobotView{}, err
		}
		i := slices.IndexFunc(bs, func(b store.RobotConfig) bool { return b.ID == in.ID })
		if i < 0 {
			return RobotView{}, store.ErrNoRobot
		}
		old = &bs[i]
	}
	in.Name, in.Token, in.Secret = strings.TrimSpace(in.Name), strings.TrimSpace(in.Token), strings.TrimSpace(in.Secret)
	if in.Lang == "" {
		in.Lang = notify.Languages[0]
	}
	u := slices.IndexFunc(units, func(x org.Unit) bool { return x.Code == in.Unit })
	switch {
	case u < 0:
		return RobotView{}, &FieldError{Code: "invalid", Field: "unit", Msg: "unknown unit " + in.Unit}
	case !slices.Contains(RobotKinds, in.Kind):
		return RobotView{}, &FieldError{Code: "invalid", Field: "kind", Msg: "kind must be dingtalk, wecom or feishu"}
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 40:
		return RobotView{}, &FieldError{Code: "invalid", Field: "name", Msg: "name: 1–40 characters"}
	case !slices.Contains(notify.Languages, in.Lang):
		return RobotView{}, &FieldError{Code: "invalid", Field: "lang", Msg: "lang must be zh-CN or en"}
	case old == nil && in.Token == "":
		return RobotView{}, &FieldError{Code: "required", Field: "token", Msg: "a new robot needs the token (access_token, key or hook id) of its webhook"}
	case len(in.Token) > 200 || strings.ContainsAny(in.Token, " /?&#"):
		return RobotView{}, &FieldError{Code: "invalid", Field: "token", Msg: "the token is the webhook's access_token, key or hook id, at most 200 characters, without the address"}
	case len(in.Secret) > 200:
		return RobotView{}, &FieldError{Code: "invalid", Field: "secret", Msg: "the secret is at most 200 characters"}
	case in.Secret != "" && in.Kind == channel.KindWeCom:
		return RobotView{}, &FieldError{Code: "invalid", Field: "secret", Msg: "a WeCom group robot signs nothing: it has no secret"}
	}
	b := store.RobotConfig{RobotInfo: store.RobotInfo{ID: in.ID, UnitID: units[u].ID, Kind: in.Kind, Name: in.Name, Lang: in.Lang, Active: true}, Token: in.Token, Secret: in.Secret}
	if old != nil {
		b.Active = old.Active
	}
	if in.Active != nil {
		b.Active = *in.Active
	}
	if err := a.Store.SaveRobot(ctx, &b, a.Now()); err != nil {
		return RobotView{}, err
	}
	b.TokenSet = in.Token != "" || (old != nil && old.TokenSet)
	b.SecretSet = in.Secret != "" || (old != nil && old.SecretSet)
	b.UpdatedAt = a.Now().UTC()
	return robotView(b.RobotInfo, units), nil
}

// DeleteRobot removes a robot.
func (a *App) DeleteRobot(ctx context.Context, id int64) error { return a.Store.DeleteRobot(ctx, id) }

// Contacts are an account's contacts.
func (a *App) Contacts(ctx context.Context, accountID int64) (store.Contacts, error) {
	return a.Store.AccountContacts(ctx, accountID)
}

// SetContacts checks and writes how an account is reached. liaison nil
// keeps the account's liaison flag (people change their own contacts; an
// administrator names the liaisons).
func (a *App) SetContacts(ctx context.Context, accountID int64, c store.Contacts, liaison *bool) (store.Contacts, error) {
	old, err := a.Store.AccountContacts(ctx, accountID)
	if err != nil {
		return c, err
	}
	c.Phone, c.Email = strings.TrimSpace(c.Phone), strings.TrimSpace(c.Email)
	if c.Lang == "" {
		c.Lang = notify.Languages[0]
	}
	if c.Channels == nil {
		c.Channels = []string{}
	}
	if err := notify.CheckPerson(notify.Person{Phone: c.Phone, Email: c.Email, Lang: c.Lang, Channels: c.Channels}); err != nil {
		var ce *notify.ContactError
		if errors.As(err, &ce) {
			code := "invalid"
			if ce.Missing {
				code = "required"
			}
			return c, &FieldError{Code: code, Field: ce.Field, Msg: ce.Msg}
		}
		return c, err
	}
	c.Liaison = old.Liaison
	if liaison != nil {
		c.Liaison = *liaison
	}
	if c.Liaison && c.Phone == "" {
		return c, &FieldError{Code: "required", Field: "phone", Msg: "a liaison is called by SMS when nobody acts: give their phone"}
	}
	return c, a.Store.SetAccountContacts(ctx, accountID, c)
}

// SendView is one send's record as people see it: the address masked,
// who it was for by name.
type SendView struct {
	store.SendRecord
	To   string `json:"to"`            // the address masked, or the robot's name
	Who  string `json:"who,omitempty"` // the account's or the unit's name
	Case string `json:"case,omitempty"`
}

// names finds units, accounts, robots and cases by id for the pages, once each.
type names struct {
	a        *App
	ctx      context.Context
	units    map[int64]string
	accounts map[int64]string
	robots   map[int64]string
	cases    map[int64]string
}

func (a *App) names(ctx context.Context) (*names, error) {
	n := &names{a: a, ctx: ctx, units: map[int64]string{}, accounts: map[int64]string{}, robots: map[int64]string{}, cases: map[int64]string{}}
	us, err := a.Store.Units(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		n.units[u.ID] = u.Name
	}
	bs, err := a.Store.Robots(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		n.robots[b.ID] = b.Name
	}
	return n, nil
}

func (n *names) account(id int64) string {
	if s, ok := n.accounts[id]; ok {
		return s
	}
	s := fmt.Sprintf("#%d", id)
	if acc, err := n.a.Store.AccountByID(n.ctx, id); err == nil {
		s = acc.Name
	}
	n.accounts[id] = s
	return s
}

func (n *names) caseNumber(id int64) string {
	if s, ok := n.cases[id]; ok {
		return s
	}
	s := ""
	if c, err := n.a.Store.Case(n.ctx, id); err == nil {
		s = c.Number
	}
	n.cases[id] = s
	return s
}

func (n *names) send(d store.SendRecord) SendView {
	v := SendView{SendRecord: d, To: notify.MaskAddress(d.Channel, d.Address)}
	switch {
	case d.Channel == notify.SendRobot:
		v.To = n.robots[d.RobotID]
		if v.To == "" {
			v.To = fmt.Sprintf("#%d", d.RobotID)
		}
		v.Who = n.units[d.UnitID]
	case d.AccountID != 0:
		v.Who = n.account(d.AccountID)
	}
	if d.CaseID != 0 {
		v.Case = n.caseNumber(d.CaseID)
	}
	return v
}

// CaseSends is the delivery record of a case (通知记录), newest first,
// for a reader who may see the case (otherwise store.ErrNotFound, as for
// an absent one).
func (a *App) CaseSends(ctx context.Context, p access.Principal, number string) ([]SendView, error) {
	c, err := a.Store.CaseByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	if !access.CanSee(p, c) {
		return nil, store.ErrNotFound
	}
	ds, err := a.Store.CaseSends(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	n, err := a.names(ctx)
	if err != nil {
		return nil, err
	}
	n.cases[c.ID] = c.Number
	out := make([]SendView, 0, len(ds))
	for _, d := range ds {
		out = append(out, n.send(d))
	}
	return out, nil
}

// SendStates are the states a send can be in.
var SendStates = []string{"queued", "sent", "failed", "skipped"}

// RecentSends is the newest sends (in a state, when given) and the count
// of every send by state.
func (a *App) RecentSends(ctx context.Context, state string, limit int) ([]SendView, map[string]int, error) {
	if state != "" && !slices.Contains(SendStates, state) {
		return nil, nil, &FieldError{Code: "invalid", Field: "state", Msg: "state must be queued, sent, failed or skipped"}
	}
	ds, err := a.Store.RecentSends(ctx, state, limit)
	if err != nil {
		return nil, nil, err
	}
	counts, err := a.Store.SendCounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	n, err := a.names(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]SendView, 0, len(ds))
	for _, d := range ds {
		out = append(out, n.send(d))
	}
	return out, counts, nil
}

// DryRun is who would be told what if a case's running deadlines reached
// a stage now: for each deadline, the notices the watcher would write,
// each line with who it reaches and the sends it would make.
type DryRun struct {
	Case      string        `json:"case"`
	Stage     notify.Stage  `json:"stage"`
	At        time.Time     `json:"at"`
	Deadlines []DryDeadline `json:"deadlines"`
}

// DryDeadline is one running deadline in the dry run.
type DryDeadline struct {
	Step        caseflow.Step   `json:"step"`
	UnitID      int64           `json:"unit_id,omitempty"`
	Unit        string          `json:"unit,omitempty"`
	Due         time.Time       `json:"due"`
	Supervision bool            `json:"supervision,omitempty"`
	Via         caseflow.Action `json:"via,omitempty"`     // the step the watcher takes: an automatic reminder or supervision order
	Refused     string          `json:"refused,omitempty"` // the case loop's code when it would refuse that step
	Lines       []DryLine       `json:"lines"`
}

// DryLine is one inbox line and who it reaches.
type DryLine struct {
	Kind      string          `json:"kind"`
	Params    notify.Params   `json:"params,omitempty"`
	Text      string          `json:"text,omitempty"` // worded by the web layer
	Level     notify.Level    `json:"level"`
	Ladder    bool            `json:"ladder"`
	To        notify.Audience `json:"to"`
	UnitID    int64           `json:"unit_id,omitempty"`
	Unit      string          `json:"unit,omitempty"`
	AccountID int64           `json:"account_id,omitempty"`
	Account   string          `json:"account,omitempty"`
	Robots    []DryRobot      `json:"robots"`
	People    []DryPerson     `json:"people"` // the person addressed, or the unit's liaisons and leaders
	Sends     []DrySend       `json:"sends"`
}

// DryRobot is a robot a line reaches.
type DryRobot struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// DryPerson is someone a line reaches, the contacts masked.
type DryPerson struct {
	AccountID int64    `json:"account_id"`
	Name      string   `json:"name"`
	As        string   `json:"as"` // addressee, liaison or leader
	Phone     string   `json:"phone,omitempty"`
	Email     string   `json:"email,omitempty"`
	Channels  []string `json:"channels"`
}

// DrySend is a send the line would make.
type DrySend struct {
	Channel   string    `json:"channel"`
	Step      int       `json:"step"`
	To        string    `json:"to"` // masked address or the robot's name
	Who       string    `json:"who,omitempty"`
	NotBefore time.Time `json:"not_before"`
}

// Stages are the stages a dry run may ask for.
var Stages = []notify.Stage{notify.Warned, notify.Overdue, notify.Escalated}

// stageNotices is what the watcher writes when deadline w of c reaches st
// (store.watchEffect): the rules of the stage, or, when an ordinary step
// is overdue or stays late, the notices of the automatic reminder or
// supervision order it makes — applied here to a copy of the case.
func (a *App) stageNotices(c *caseflow.Case, w store.Watch, st notify.Stage, now time.Time) ([]notify.Notice, caseflow.Action, error) {
	d := notify.Deadline{Step: w.Step, UnitID: w.UnitID, Due: w.Deadline, Supervision: w.Supervision()}
	switch {
	case w.Supervision():
		if st != notify.Overdue {
			return nil, "", nil // a supervision reply is only ever overdue
		}
		return notify.ForStage(c, d, st), "", nil
	case st == notify.Warned, w.Step == caseflow.StepCallback || w.Step == caseflow.StepReview || w.Step == caseflow.StepArbitrate:
		return notify.ForStage(c, d, st), "", nil
	}
	act := caseflow.ActRemind
	if st == notify.Escalated {
		act = caseflow.ActSupervise
	}
	cc := *c
	cc.Tasks = slices.Clone(c.Tasks)
	cmd := caseflow.Command{Action: act, Actor: caseflow.Actor{Role: caseflow.System}, At: now, TaskID: w.TaskID(),
		Late: &caseflow.Late{Step: w.Step, Due: w.Deadline}, ExpectedVersion: c.Version}
	ev, err := caseflow.Apply(&cc, cmd, a.Policy)
	if err != nil {
		return nil, act, err
	}
	return notify.ForEvent(&cc, &ev), act, nil
}

// NotifyDryRun says who would be told what if every running deadline of
// the case reached stage now, and through which channels; it writes
// nothing.
func (a *App) NotifyDryRun(ctx context.Context, p access.Principal, number string, stage notify.Stage) (*DryRun, error) {
	if !slices.Contains(Stages, stage) {
		return nil, &FieldError{Code: "invalid", Field: "stage", Msg: "stage must be warning, overdue or escalated"}
	}
	c, err := a.Store.CaseByNumber(ctx, number)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !access.CanSee(p, c)) {
		return nil, &FieldError{Code: "not_found", Field: "case", Msg: "no case " + number}
	}
	if err != nil {
		return nil, err
	}
	ws, err := a.Store.CaseWatches(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	n, err := a.names(ctx)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	cal := a.Policy.Calendar()
	out := &DryRun{Case: c.Number, Stage: stage, At: now, Deadlines: []DryDeadline{}}
	person := func(id int64, as string) DryPerson {
		dp := DryPerson{AccountID: id, Name: n.account(id), As: as, Channels: []string{}}
		if ct, err := a.Store.AccountContacts(ctx, id); err == nil {
			dp.Phone, dp.Email, dp.Channels = notify.MaskPhone(ct.Phone), notify.MaskEmail(ct.Email), ct.Channels
			if ct.Phone == "" {
				dp.Phone = ""
			}
			if ct.Email == "" {
				dp.Email = ""
			}
		}
		return dp
	}
	var line int64 // lines are numbered as they would be written, for the sends' keys
	for _, w := range ws {
		if w.NextAt.IsZero() {
			continue // done: the watcher follows it no longer
		}
		dd := DryDeadline{Step: w.Step, UnitID: w.UnitID, Unit: n.units[w.UnitID], Due: w.Deadline, Supervision: w.Supervision(), Lines: []DryLine{}}
		ns, via, err := a.stageNotices(c, w, stage, now)
		dd.Via = via
		var ce *caseflow.Error
		if errors.As(err, &ce) {
			dd.Refused = string(ce.Code)
			out.Deadlines = append(out.Deadlines, dd)
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, x := range ns {
			lines, err := a.Store.NoticeLines(ctx, c, []notify.Notice{x})
			if err != nil {
				return nil, err
			}
			for _, l := range lines {
				line++
				l.At, l.ID = now, line
				reach, err := a.Store.ReachOf(ctx, l)
				if err != nil {
					return nil, err
				}
				dl := DryLine{Kind: l.Kind, Params: l.Params, Level: l.Level, Ladder: l.Ladder, UnitID: l.UnitID, Unit: n.units[l.UnitID],
					AccountID: l.AccountID, Robots: []DryRobot{}, People: []DryPerson{}, Sends: []DrySend{}}
				dl.To = x.To
				if l.AccountID != 0 {
					dl.Account = n.account(l.AccountID)
					if reach.Person != nil {
						dl.People = append(dl.People, person(l.AccountID, "addressee"))
					}
				}
				for _, b := range reach.Robots {
					dl.Robots = append(dl.Robots, DryRobot{ID: b.ID, Name: n.robots[b.ID], Kind: b.Kind})
				}
				for _, x := range reach.Liaisons {
					dl.People = append(dl.People, person(x.AccountID, "liaison"))
				}
				for _, x := range reach.Leaders {
					dl.People = append(dl.People, person(x.AccountID, "leader"))
				}
				for _, s := range notify.Plan(l, reach, a.NotifyLadder(), cal) {
					ds := DrySend{Channel: s.Channel, Step: s.Step, To: notify.MaskAddress(s.Channel, s.Address), NotBefore: s.NotBefore}
					if s.Channel == notify.SendRobot {
						ds.To, ds.Who = n.robots[s.RobotID], n.units[l.UnitID]
					} else if s.AccountID != 0 {
						ds.Who = n.account(s.AccountID)
					}
					dl.Sends = append(dl.Sends, ds)
				}
				dd.Lines = append(dd.Lines, dl)
			}
		}
		out.Deadlines = append(out.Deadlines, dd)
	}
	return out, nil
}
