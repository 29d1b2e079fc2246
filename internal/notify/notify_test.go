package notify

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC) // 09:30 in Beijing

func sample(state caseflow.State) *caseflow.Case {
	return &caseflow.Case{ID: 7, Number: "2026030200007", State: state, Urgency: caseflow.Normal,
		Place: caseflow.Place{Grid: "140213053001001"}, Deadline: t0.Add(2 * time.Hour), ReviewDue: t0.Add(48 * time.Hour),
		Tasks: []caseflow.Task{{ID: 1, UnitID: 11, Lead: true, State: caseflow.TaskSigned, Deadline: t0.Add(24 * time.Hour)},
			{ID: 2, UnitID: 12, State: caseflow.TaskDispatched, Deadline: t0.Add(24 * time.Hour)},
			{ID: 3, UnitID: 13, State: caseflow.TaskReturned}}}
}

// agreed is a case whose requester left a phone and agreed to hear of it.
func agreed(state caseflow.State) *caseflow.Case {
	c := sample(state)
	c.Reporter = caseflow.Reporter{Phone: "13912345678", Updates: true}
	return c
}

func ev(a caseflow.Action, f func(e *caseflow.Event)) *caseflow.Event {
	e := &caseflow.Event{Action: a, At: t0, Actor: caseflow.Actor{Role: caseflow.Dispatcher}}
	if f != nil {
		f(e)
	}
	return e
}

// scenarios drive every line of the rules table at least once.
func scenarios() []struct {
	name string
	got  []Notice
} {
	reply := t0.Add(8 * time.Hour)
	system := caseflow.Actor{Role: caseflow.System}
	pending := sample(caseflow.Closed)
	pending.Review = caseflow.ReviewPending
	type sc = struct {
		name string
		got  []Notice
	}
	return []sc{
		{"report", ForEvent(sample(caseflow.Reported), ev(caseflow.ActReport, nil))},
		{"dispatch", ForEvent(sample(caseflow.Dispatched), ev(caseflow.ActDispatch, func(e *caseflow.Event) {
			e.Data.Assignments = []caseflow.Assignment{{UnitID: 11, Lead: true}, {UnitID: 12}}
		}))},
		{"request return", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRequestReturn, nil))},
		{"request extension", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRequestExtension, nil))},
		{"request suspension", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRequestSuspension, nil))},
		{"approve return", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActApproveReturn, func(e *caseflow.Event) { e.Data.UnitID = 11 }))},
		{"refuse return", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRefuseReturn, func(e *caseflow.Event) { e.Data.UnitID = 11 }))},
		{"approve extension", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActApproveExtension, func(e *caseflow.Event) { e.Data.UnitID = 11 }))},
		{"refuse extension", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRefuseExtension, func(e *caseflow.Event) { e.Data.UnitID = 11 }))},
		{"approve suspension", ForEvent(sample(caseflow.Suspended), ev(caseflow.ActApproveSuspension, func(e *caseflow.Event) { e.Data.UnitID = 11 }))},
		{"refuse suspension", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRefuseSuspension, func(e *caseflow.Event) { e.Data.UnitID = 11 }))},
		{"report back", ForEvent(sample(caseflow.PendingCheck), ev(caseflow.ActReportBack, nil))},
		{"callback", ForEvent(pending, ev(caseflow.ActCallback, nil))},
		{"check fail", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActCheckFail, nil))},
		{"reopen", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActReopen, nil))},
		{"review justified", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActReview, nil))},
		{"remind", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRemind, func(e *caseflow.Event) { e.Data.UnitID, e.Data.Note = 11, "请尽快处理" }))},
		{"system remind", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActRemind, func(e *caseflow.Event) {
			e.Actor, e.Data.UnitID, e.Data.Late = system, 11, &caseflow.Late{Step: caseflow.StepHandle, Due: t0}
		}))},
		{"supervise", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActSupervise, func(e *caseflow.Event) {
			e.Data.UnitID, e.Reason, e.Data.Deadline = 11, "群众反映强烈", &reply
		}))},
		{"system supervise", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActSupervise, func(e *caseflow.Event) {
			e.Actor, e.Data.UnitID, e.Data.Deadline, e.Data.Late = system, 11, &reply, &caseflow.Late{Step: caseflow.StepHandle, Due: t0}
		}))},
		{"reply", ForEvent(sample(caseflow.InProgress), ev(caseflow.ActReply, func(e *caseflow.Event) { e.Data.UnitID = 11 }))},
		{"warning check", ForStage(sample(caseflow.PendingCheck), Deadline{Step: caseflow.StepCheck, Due: t0}, Warned)},
		{"warning handle", ForStage(sample(caseflow.InProgress), Deadline{Step: caseflow.StepHandle, UnitID: 11, Due: t0}, Warned)},
		{"warning register", ForStage(sample(caseflow.Reported), Deadline{Step: caseflow.StepRegister, Due: t0}, Warned)},
		{"supervision late", ForStage(sample(caseflow.InProgress), Deadline{Step: caseflow.StepReply, UnitID: 11, Due: t0, Supervision: true}, Overdue)},
		{"callback late", ForStage(sample(caseflow.Closed), Deadline{Step: caseflow.StepCallback, Due: t0}, Overdue)},
		{"callback still late", ForStage(sample(caseflow.Closed), Deadline{Step: caseflow.StepCallback, Due: t0}, Escalated)},
		{"review late", ForStage(sample(caseflow.Closed), Deadline{Step: caseflow.StepReview, Due: t0}, Overdue)},
		{"review still late", ForStage(sample(caseflow.Closed), Deadline{Step: caseflow.StepReview, Due: t0}, Escalated)},
		{"arbitration warning", ForStage(sample(caseflow.Dispatched), Deadline{Step: caseflow.StepArbitrate, Due: t0}, Warned)},
		{"arbitration late", ForStage(sample(caseflow.Dispatched), Deadline{Step: caseflow.StepArbitrate, Due: t0}, Overdue)},
		{"registered", ForEvent(agreed(caseflow.Registered), ev(caseflow.ActRegister, nil))},
		{"answered at the desk", ForEvent(agreed(caseflow.Closed), ev(caseflow.ActAnswer, nil))},
		{"answered by the department", ForEvent(agreed(caseflow.InProgress), ev(caseflow.ActCallerAnswer, nil))},
		{"closed", ForEvent(agreed(caseflow.Closed), ev(caseflow.ActClose, nil))},
		{"closed with its parent", ForEvent(agreed(caseflow.Closed), ev(caseflow.ActFollow, nil))},
		{"callback warning", ForStage(sample(caseflow.Closed), Deadline{Step: caseflow.StepCallback, Due: t0}, Warned)},
	}
}

// Who is told what, as the district's staff know it from the old inbox:
// each department of a dispatch its own task with its role, the unit and
// its leaders of a supervision order, the grid's workers of a check, the
// centre of what waits for it; and each message reads the same in
// Chinese as before, with its times in Beijing time.
func TestRulesTellThePeopleConcerned(t *testing.T) {
	want := map[string][]string{
		"report":              {"centre 0 新上报：案件 2026030200007"},
		"dispatch":            {"unit 11 新任务（主办）：案件 2026030200007，处置时限 03-03 09:30", "unit 12 新任务（协办）：案件 2026030200007，处置时限 03-03 09:30"},
		"request return":      {"centre 0 回退申请：案件 2026030200007"},
		"refuse extension":    {"unit 11 申请已批复（不同意）：延期，案件 2026030200007"},
		"report back":         {"grid_workers 0 待核查：案件 2026030200007"},
		"callback":            {"centre 0 不满意待复核：工单 2026030200007，复核时限 03-04 09:30"},
		"check fail":          {"unit 11 返工：案件 2026030200007，时限 03-03 09:30", "unit 12 返工：案件 2026030200007，时限 03-03 09:30"},
		"remind":              {"unit 11 催办：案件 2026030200007 请尽快处理"},
		"system remind":       {"unit 11 系统催办：案件 2026030200007，处置已超期（时限 03-02 09:30）"},
		"supervise":           {"unit 11 督办：案件 2026030200007，群众反映强烈，请于 03-02 17:30 前回复", "leaders 11 督办：案件 2026030200007，群众反映强烈，请于 03-02 17:30 前回复"},
		"system supervise":    {"unit 11 系统督办：案件 2026030200007，处置超期未办结（时限 03-02 09:30），请于 03-02 17:30 前回复", "leaders 11 系统督办：案件 2026030200007，处置超期未办结（时限 03-02 09:30），请于 03-02 17:30 前回复"},
		"reply":               {"centre 0 督办回复：案件 2026030200007", "leaders 11 督办回复：案件 2026030200007"},
		"warning check":       {"grid_workers 0 预警：案件 2026030200007 核查时限 03-02 09:30 到期"},
		"warning handle":      {"unit 11 预警：案件 2026030200007 处置时限 03-02 09:30 到期"},
		"warning register":    {"unit 0 预警：案件 2026030200007 立案时限 03-02 09:30 到期"},
		"supervision late":    {"unit 11 督办逾期未回复：案件 2026030200007，回复时限 03-02 09:30", "leaders 11 督办逾期未回复：案件 2026030200007，回复时限 03-02 09:30"},
		"callback late":       {"centre 0 回访超期：工单 2026030200007，回访时限 03-02 09:30"},
		"review still late":   {"leaders 0 差评复核超期：工单 2026030200007，复核时限 03-02 09:30"},
		"arbitration warning": {"leaders 0 预警：案件 2026030200007 派单争议仲裁时限 03-02 09:30 到期"},
		"arbitration late":    {"centre 0 派单争议仲裁超期：工单 2026030200007，仲裁时限 03-02 09:30", "leaders 0 派单争议仲裁超期：工单 2026030200007，仲裁时限 03-02 09:30"},
		"registered":          {"requester 0 您反映的问题（编号 2026030200007）已受理，正在办理。"},
		"callback warning":    {"unit 0 预警：案件 2026030200007 回访时限 03-02 09:30 到期"},
	}
	for _, sc := range scenarios() {
		var got []string
		for _, n := range sc.got {
			got = append(got, string(n.To)+" "+itoa(n.UnitID)+" "+Render("zh-CN", n.Kind, n.Params))
		}
		if w, ok := want[sc.name]; ok && strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", sc.name, got, w)
		}
		if len(got) == 0 {
			t.Errorf("%s: nobody is told", sc.name)
		}
	}
	// A requester who did not agree, or left no way to reach them, hears nothing.
	noPhone := agreed(caseflow.Closed)
	noPhone.Reporter.Phone = ""
	for _, c := range []*caseflow.Case{sample(caseflow.Closed), noPhone} {
		if ns := ForEvent(c, ev(caseflow.ActClose, nil)); len(ns) != 0 {
			t.Errorf("a requester who did not agree was told %+v", ns)
		}
	}
	if got := Render("zh-CN", "requester_closed", Params{"number": "2026030200007", "link": "https://wenti.example.cn/board#follow/2026030200007"}); got != "您反映的问题（编号 2026030200007）已办结，感谢您的监督。查看进展：https://wenti.example.cn/board#follow/2026030200007" {
		t.Errorf("requester's message %q", got)
	}
	if got := Render("en", "requester_closed", Params{"number": "2026030200007"}); got != "Your report 2026030200007 has been closed. Thank you." {
		t.Errorf("without a link %q", got)
	}
	// A returned task is not told of rework; a review that keeps the
	// order closed tells nobody; a report back before a check neither.
	if ns := ForEvent(sample(caseflow.Closed), ev(caseflow.ActReview, nil)); len(ns) != 0 {
		t.Errorf("an unjustified review told %+v", ns)
	}
	if ns := ForEvent(sample(caseflow.InProgress), ev(caseflow.ActReportBack, nil)); len(ns) != 0 {
		t.Errorf("a report back from one of two departments told %+v", ns)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Every line of the table is reached by some case, every message it
// writes is worded in both languages with nothing left unfilled, English
// without Chinese, and each kind and coded value has its words.
func TestEveryRuleIsWordedInBothLanguages(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	seen := map[string]bool{}
	for _, sc := range scenarios() {
		for _, n := range sc.got {
			seen[string(n.To)+" "+n.Kind] = true
			for _, l := range Languages {
				s := Render(l, n.Kind, n.Params)
				if strings.ContainsAny(s, "{}") || s == n.Kind || strings.Contains(s, "—") {
					t.Errorf("%s %s in %s: %q", sc.name, n.Kind, l, s)
				}
				// People's own words (a note, a reason) stay as they wrote them.
				if l == "en" && han.MatchString(strings.NewReplacer(n.Params["note"], "", n.Params["reason"], "").Replace(s)) {
					t.Errorf("%s %s in English: %q", sc.name, n.Kind, s)
				}
				for _, v := range n.Params {
					if v != "" && l == "zh-CN" && strings.Contains(s, v) && regexp.MustCompile(`^[a-z_]+$`).MatchString(v) {
						t.Errorf("%s %s: the code %q shows unworded: %q", sc.name, n.Kind, v, s)
					}
				}
			}
		}
	}
	for _, r := range Rules {
		if !seen[string(r.To)+" "+r.Kind] {
			t.Errorf("no scenario reaches the rule %s → %s %s", r.On, r.To, r.Kind)
		}
	}
	for _, k := range Kinds() {
		for _, l := range Languages {
			if _, ok := catalogs[l]["notice."+k]; !ok {
				t.Errorf("%s has no words for %s", l, k)
			}
		}
	}
	for _, l := range Languages {
		if len(catalogs[l]) != len(catalogs["zh-CN"]) {
			t.Errorf("%s has %d messages, zh-CN %d", l, len(catalogs[l]), len(catalogs["zh-CN"]))
		}
	}
}

// A 特急 order's notices are urgent whatever the rule's level: they are
// the ones sent outside working time.
func TestImmediateOrdersAreUrgent(t *testing.T) {
	c := sample(caseflow.Dispatched)
	c.Urgency = caseflow.Immediate
	for _, n := range ForEvent(c, ev(caseflow.ActDispatch, func(e *caseflow.Event) { e.Data.Assignments = []caseflow.Assignment{{UnitID: 11, Lead: true}} })) {
		if n.Level != Urgent {
			t.Errorf("%s to %d is %s", n.Kind, n.UnitID, n.Level)
		}
	}
	if Lang("en-GB,en;q=0.9") != "en" || Lang("zh-CN,zh;q=0.9") != "zh-CN" || Lang("") != "zh-CN" {
		t.Error("Lang")
	}
}

// The rules page reads every rule in both languages: its trigger, its
// condition and its audience in words (never a code or an English
// sentence in the Chinese), and its message worded from the examples with
// every placeholder filled.
func TestRulesDescribeThemselves(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	seen := map[string]bool{}
	for _, r := range Rules {
		if k := string(r.On) + "|" + string(r.To); seen[k] {
			t.Errorf("two rules on %s for %s: their conditions cannot be told apart", r.On, r.To)
		} else {
			seen[k] = true
		}
	}
	for _, lang := range Languages {
		got := Describe(lang)
		if len(got) != len(Rules) {
			t.Fatalf("%s: %d rules described, the table has %d", lang, len(got), len(Rules))
		}
		for i, r := range got {
			for name, w := range map[string]string{"trigger": r.OnText, "audience": r.ToText, "level": r.LevelText, "condition": r.WhenText, "example": r.Example} {
				if name == "condition" && Rules[i].When == "" {
					continue
				}
				switch {
				case w == "" || strings.HasPrefix(w, "on.") || strings.HasPrefix(w, "when.") || strings.HasPrefix(w, "audience.") || strings.HasPrefix(w, "level."):
					t.Errorf("%s rule %d (%s → %s): no words for its %s: %q", lang, i, r.On, r.To, name, w)
				case strings.ContainsAny(w, "{}"):
					t.Errorf("%s rule %d: a placeholder left in its %s: %q", lang, i, name, w)
				case lang == "zh-CN" && !han.MatchString(w):
					t.Errorf("zh-CN rule %d: its %s is not in Chinese: %q", i, name, w)
				case lang == "en" && han.MatchString(w):
					t.Errorf("en rule %d: Chinese in its %s: %q", i, name, w)
				}
			}
			if !strings.Contains(r.Example, "2026112000001") || (strings.Contains(Word(lang, "notice."+r.Kind), "{due}") && !strings.Contains(r.Example, "11-20 15:30")) {
				t.Errorf("%s rule %d: the example %q does not name the example case and its time in Beijing", lang, i, r.Example)
			}
		}
		steps := Ladder{Robot: 0, Liaison: 90 * time.Minute, Leader: -1}.Describe(lang)
		if len(steps) != 3 || steps[0].WaitMinutes != 0 || steps[1].WaitMinutes != 90 || !steps[2].Off || steps[1].Channel != SendSMS || strings.HasPrefix(steps[1].Text, "ladder.") {
			t.Errorf("%s ladder: %+v", lang, steps)
		}
	}
}

// A person's contacts are checked field by field, and shown masked.
func TestCheckPersonAndMasks(t *testing.T) {
	ok := Person{Phone: "13903520001", Email: "li@pingcheng.gov.cn", Lang: "zh-CN", Channels: []string{"sms", "mail"}}
	if err := CheckPerson(ok); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p     Person
		field string
	}{
		{Person{Phone: "0352-1234567", Lang: "zh-CN"}, "phone"},
		{Person{Phone: "12903520001", Lang: "zh-CN"}, "phone"},
		{Person{Email: "li at x.cn", Lang: "zh-CN"}, "email"},
		{Person{Email: "Li <li@x.cn>", Lang: "zh-CN"}, "email"},
		{Person{Lang: "fr"}, "lang"},
		{Person{Lang: "en", Channels: []string{"fax"}}, "channels[0]"},
		{Person{Lang: "en", Phone: "13903520001", Channels: []string{"sms", "sms"}}, "channels[1]"},
		{Person{Lang: "en", Channels: []string{"sms"}}, "phone"},
		{Person{Lang: "en", Phone: "13903520001", Channels: []string{"sms", "mail"}}, "email"},
	} {
		var ce *ContactError
		if err := CheckPerson(tt.p); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%+v: %v, want a refusal naming %s", tt.p, err, tt.field)
		}
	}
	if got := MaskPhone("13903520001"); got != "139****0001" {
		t.Errorf("phone masked as %s", got)
	}
	if got := MaskEmail("li@x.cn"); got != "l***@x.cn" {
		t.Errorf("e-mail masked as %s", got)
	}
	if got := MaskAddress(SendRobot, "7"); got != "7" {
		t.Errorf("robot address %s", got)
	}
}
