package notify

import (
	"time"
)

// The rules table documents itself: each rule with its trigger, condition
// and audience in the reader's words and its message worded from example
// parameters, and the ladder's steps with their waits. The words are in
// the catalogs beside the messages: on.<trigger>, when.<trigger>.<audience>,
// audience.<audience>, level.<level>, ladder.<step>.

// RuleText is one rule of the table in a reader's language.
type RuleText struct {
	On        Trigger  `json:"on"`
	OnText    string   `json:"on_text"`
	When      string   `json:"when,omitempty"`
	WhenText  string   `json:"when_text,omitempty"`
	To        Audience `json:"to"`
	ToText    string   `json:"to_text"`
	Kind      string   `json:"kind"`
	Level     Level    `json:"level"`
	LevelText string   `json:"level_text"`
	Ladder    bool     `json:"ladder"`
	Example   string   `json:"example"` // the message, worded from ExampleParams
}

// Word is a catalog's word for key in lang, or the key when it has none.
func Word(lang, key string) string {
	if w, ok := catalogs[Lang(lang)][key]; ok {
		return w
	}
	return key
}

// exampleAt is the time the examples name: 2026-11-20 15:30 in Beijing.
var exampleAt = time.Date(2026, 11, 20, 7, 30, 0, 0, time.UTC)

// ExampleParams are the parameters a message of kind is worded from on
// the rules page: a case number, a time, the coded values and, in the
// reader's language, a reason and a note.
func ExampleParams(lang string) Params {
	p := Params{"number": "2026112000001", "due": ts(exampleAt), "missed": ts(exampleAt.Add(-24 * time.Hour)),
		"step": "handle", "role": "lead", "request": "extension", "verdict": "approved"}
	for _, k := range []string{"reason", "note"} {
		p[k] = Word(lang, "example."+k)
	}
	return p
}

// Describe is the rules table in lang, in its order.
func Describe(lang string) []RuleText {
	out := make([]RuleText, 0, len(Rules))
	for _, r := range Rules {
		t := RuleText{On: r.On, OnText: Word(lang, "on."+string(r.On)), When: r.When, To: r.To, ToText: Word(lang, "audience."+string(r.To)),
			Kind: r.Kind, Level: r.Level, LevelText: Word(lang, "level."+string(r.Level)), Ladder: r.Ladder,
			Example: Render(lang, r.Kind, ExampleParams(lang))}
		if r.When != "" {
			t.WhenText = Word(lang, "when."+string(r.On)+"."+string(r.To))
		}
		out = append(out, t)
	}
	return out
}

// LadderStepText is one step of the escalation ladder in a reader's
// language: how long after the line it is taken (working time; wall time
// for urgent lines), or that it is off.
type LadderStepText struct {
	Step        int    `json:"step"`
	Name        string `json:"name"` // robot, liaison, leader
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	WaitMinutes int    `json:"wait_minutes"`
	Off         bool   `json:"off,omitempty"`
}

// Describe is the ladder's steps in lang.
func (l Ladder) Describe(lang string) []LadderStepText {
	steps := []struct {
		step    int
		name    string
		channel string
		wait    time.Duration
	}{{StepRobot, "robot", SendRobot, l.Robot}, {StepLiaison, "liaison", SendSMS, l.Liaison}, {StepLeader, "leader", SendSMS, l.Leader}}
	out := make([]LadderStepText, 0, len(steps))
	for _, s := range steps {
		t := LadderStepText{Step: s.step, Name: s.name, Text: Word(lang, "ladder."+s.name), Channel: s.channel}
		if s.wait < 0 {
			t.Off = true
		} else {
			t.WaitMinutes = int(s.wait / time.Minute)
		}
		out = append(out, t)
	}
	return out
}
