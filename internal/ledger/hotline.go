package ledger

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/places"
)

// The columns of a district's 12345 export: how the order came in, the
// caller, the five elements, how the desk ended it, the department's
// answer and the callback. Values are read in Chinese (投诉, 紧急, 是,
// 满意) or by their code names (complaint, urgent, yes, satisfied).

// The 12345 order's fields.
const (
	FChannel     Field = "channel"          // 来源: 12345, 网格员上报 …; empty: hotline with a request type, else import
	FRequestType Field = "request_type"     // 诉求类型
	FUrgency     Field = "urgency"          // 紧急程度; empty: 一般
	FCallerName  Field = "caller.name"      // 来电人 (staff only)
	FCallerPhone Field = "caller.phone"     // 来电号码 (staff only)
	FAnonymous   Field = "caller.anonymous" // 是否匿名: the name is not kept
	FCallback    Field = "caller.callback"  // 是否同意回访
	FWhen        Field = "elements.when"    // 事发时间, as the caller told it
	FWho         Field = "elements.who"     // 涉及人员
	FMatter      Field = "elements.matter"  // 事由
	FOutcome     Field = "outcome"          // 办理方式: how the desk ended the call; empty: dispatched
	FOutcomeNote Field = "outcome_note"     // 转办去向 or 不予受理原因
	FDuplicateOf Field = "duplicate_of"     // 合并至: the case number a merged order follows
	FReply       Field = "reply"            // 答复内容: the answer the caller was given (the desk's or the department's)
	FSolved      Field = "solved"           // 是否解决
	FUnsolved    Field = "unsolved_reason"  // 未解决原因
	FRating      Field = "rating"           // 满意度: the callback's result
	FCallbackAt  Field = "callback_at"      // 回访时间; empty: the close time
)

var hotlineFields = []Field{FChannel, FRequestType, FUrgency, FCallerName, FCallerPhone, FAnonymous, FCallback,
	FWhen, FWho, FMatter, FOutcome, FOutcomeNote, FDuplicateOf, FReply, FSolved, FUnsolved, FRating, FCallbackAt}

var hotlineHeaders = map[Field][]string{
	FChannel:     {"来源", "来源渠道", "诉求渠道", "案件来源", "channel"},
	FRequestType: {"诉求类型", "诉求性质", "工单类型", "request_type"},
	FUrgency:     {"紧急程度", "缓急程度", "urgency"},
	FCallerName:  {"来电人", "诉求人", "来电人姓名", "诉求人姓名", "caller.name"},
	FCallerPhone: {"来电号码", "联系电话", "诉求人电话", "来电电话", "caller.phone"},
	FAnonymous:   {"是否匿名", "caller.anonymous"},
	FCallback:    {"是否同意回访", "同意回访", "caller.callback"},
	FWhen:        {"事发时间", "elements.when"},
	FWho:         {"涉及人员", "涉及对象", "elements.who"},
	FMatter:      {"事由", "elements.matter"},
	FOutcome:     {"办理方式", "处理方式", "受理方式", "outcome"},
	FOutcomeNote: {"受理说明", "转办去向", "不予受理原因", "outcome_note"},
	FDuplicateOf: {"合并至", "主件编号", "duplicate_of"},
	FReply:       {"答复内容", "办理结果", "回复内容", "reply"},
	FSolved:      {"是否解决", "solved"},
	FUnsolved:    {"未解决原因", "unsolved_reason"},
	FRating:      {"满意度", "回访结果", "rating"},
	FCallbackAt:  {"回访时间", "callback_at"},
}

// Outcome is how the hotline desk ended a call.
type Outcome string

// The desk's outcomes.
const (
	OutcomeDispatched  Outcome = "dispatched"   // 派遣: passed on to the centre and its departments
	OutcomeAnswered    Outcome = "answered"     // 直接答复: answered at the desk (the reply)
	OutcomeTransferred Outcome = "transferred"  // 转办: to 110, 119, 120, 122 or another hotline (the note says where)
	OutcomeNotAccepted Outcome = "not_accepted" // 不予受理 (the note says why)
	OutcomeMerged      Outcome = "merged"       // 合并: merged into an earlier order (duplicate_of)
)

// Order is what a row says of a 12345 order beyond the case.
type Order struct {
	Channel     caseflow.Channel  `json:"channel"`
	Urgency     caseflow.Urgency  `json:"urgency"`
	Caller      caseflow.Reporter `json:"caller"`           // staff only
	Intake      *caseflow.Intake  `json:"intake,omitempty"` // nil: not a hotline order
	Outcome     Outcome           `json:"outcome"`
	OutcomeNote string            `json:"outcome_note,omitempty"`
	DuplicateOf string            `json:"duplicate_of,omitempty"`
	Answer      *caseflow.Answer  `json:"answer,omitempty"`
	Unsolved    string            `json:"unsolved_reason,omitempty"`
	Reach       caseflow.Reach    `json:"reach,omitempty"` // a callback: reached (with the rating), not reached or refused
	Rating      caseflow.Rating   `json:"rating,omitempty"`
	CallbackAt  time.Time         `json:"callback_at,omitzero"`
	// Attributes answer the category's questions (code → value).
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Words a ledger writes, beside the code names.
var (
	channelWords = map[string]caseflow.Channel{"12345": caseflow.ChannelHotline, "12345热线": caseflow.ChannelHotline, "热线": caseflow.ChannelHotline,
		"市民热线": caseflow.ChannelHotline, "电话": caseflow.ChannelHotline, "网格员上报": caseflow.ChannelPatrol, "网格巡查": caseflow.ChannelPatrol,
		"巡查": caseflow.ChannelPatrol, "网格员": caseflow.ChannelPatrol, "监督员上报": caseflow.ChannelPatrol, "网站": caseflow.ChannelWeb,
		"网上": caseflow.ChannelWeb, "公众上报": caseflow.ChannelWeb, "市民上报": caseflow.ChannelWeb, "导入": caseflow.ChannelImport, "历史台账": caseflow.ChannelImport}
	requestWords = map[string]caseflow.RequestType{"咨询": caseflow.Enquiry, "求助": caseflow.Help, "投诉": caseflow.Complaint, "举报": caseflow.TipOff,
		"建议": caseflow.Suggestion, "表扬": caseflow.Praise, "consult": caseflow.Enquiry, "tip": caseflow.TipOff}
	urgencyWords = map[string]caseflow.Urgency{"一般": caseflow.Normal, "普通": caseflow.Normal, "紧急": caseflow.Urgent, "特急": caseflow.Immediate,
		"特别紧急": caseflow.Immediate}
	outcomeWords = map[string]Outcome{"派遣": OutcomeDispatched, "派单": OutcomeDispatched, "交办": OutcomeDispatched, "转派": OutcomeDispatched,
		"直接答复": OutcomeAnswered, "直接办结": OutcomeAnswered, "转办": OutcomeTransferred, "不予受理": OutcomeNotAccepted,
		"合并": OutcomeMerged, "合并件": OutcomeMerged, "重复件": OutcomeMerged}
	outcomes    = []Outcome{OutcomeDispatched, OutcomeAnswered, OutcomeTransferred, OutcomeNotAccepted, OutcomeMerged}
	ratingWords = map[string]caseflow.Rating{"满意": caseflow.RatingSatisfied, "基本满意": caseflow.RatingFair, "不满意": caseflow.RatingDissatisfied}
	reachWords  = map[string]caseflow.Reach{"未接通": caseflow.NotReached, "拒绝回访": caseflow.Refused, "拒绝": caseflow.Refused}
	yesWords    = []string{"是", "yes", "y", "true", "1", "同意", "已解决", "解决", "匿名"}
	noWords     = []string{"否", "no", "n", "false", "0", "不同意", "未解决", "不匿名"}
)

// word reads v by the words or as a code name among codes.
func word[T ~string](v string, words map[string]T, codes []T) (T, bool) {
	if x, ok := words[v]; ok {
		return x, true
	}
	for _, c := range codes {
		if strings.EqualFold(string(c), v) {
			return c, true
		}
	}
	return "", false
}

func yesNo(v string) (yes, ok bool) {
	v = strings.ToLower(v)
	switch {
	case slices.Contains(yesWords, v):
		return true, true
	case slices.Contains(noWords, v):
		return false, true
	}
	return false, false
}

// rowReader is one row's cells and its error reporters.
type rowReader struct {
	get       func(Field) string
	bad, need func(f Field, format string, args ...any)
	badAt     func(j int, field, code, format string, args ...any)
	loc       *time.Location
}

// parseOrder reads a row's 12345 columns; seen holds the case numbers of
// this and the earlier rows (their lines).
func parseOrder(rr rowReader, r ImportRow, seen map[string]int, c Checks) Order {
	get, bad, need := rr.get, rr.bad, rr.need
	o := Order{Channel: caseflow.ChannelImport, Urgency: caseflow.Normal, Outcome: OutcomeDispatched}
	if v := get(FUrgency); v != "" {
		if u, ok := word(v, urgencyWords, caseflow.Urgencies); ok {
			o.Urgency = u
		} else {
			bad(FUrgency, "unknown urgency %q (一般, 紧急, 特急 or normal, urgent, immediate)", v)
		}
	}
	// The caller and the call: any of them makes the row a 12345 order.
	name, phoneText := get(FCallerName), get(FCallerPhone)
	anonText, callbackText := get(FAnonymous), get(FCallback)
	el := caseflow.Elements{When: get(FWhen), Who: get(FWho), Matter: get(FMatter)}
	typeText := get(FRequestType)
	hotline := typeText != "" || name != "" || phoneText != "" || anonText != "" || callbackText != "" || el != (caseflow.Elements{})
	if v := get(FChannel); v != "" {
		if ch, ok := word(v, channelWords, caseflow.Channels); ok {
			o.Channel = ch
		} else {
			bad(FChannel, "unknown channel %q (12345, 网格员上报, 网站, open311, 导入 or their code names)", v)
		}
	} else if hotline {
		o.Channel = caseflow.ChannelHotline
	}
	if hotline {
		in := &caseflow.Intake{}
		switch t, ok := word(typeText, requestWords, caseflow.RequestTypes); {
		case typeText == "":
			need(FRequestType, "a 12345 order (with a caller or the five elements) needs its request type: 咨询, 求助, 投诉, 举报, 建议 or 表扬")
		case !ok:
			bad(FRequestType, "unknown request type %q (咨询, 求助, 投诉, 举报, 建议, 表扬 or enquiry, help, complaint, tip_off, suggestion, praise)", typeText)
		default:
			in.Type = t
		}
		if utf8.RuneCountInString(name) > 50 {
			bad(FCallerName, "the caller's name is longer than 50 characters")
		}
		phone, valid := caseflow.Phone(phoneText)
		if phoneText != "" && !valid {
			bad(FCallerPhone, "%q is not a phone number: a mobile (13912345678) or a landline with its area code (0352-1234567)", phoneText)
		}
		if anonText != "" {
			yes, ok := yesNo(anonText)
			if !ok {
				bad(FAnonymous, "%q: 是 or 否", anonText)
			}
			in.Anonymous = yes
		}
		if callbackText != "" {
			yes, ok := yesNo(callbackText)
			switch {
			case !ok:
				bad(FCallback, "%q: 是 or 否", callbackText)
			case yes && phoneText == "":
				need(FCallerPhone, "a caller who accepts a callback needs a phone number")
			}
			in.NoCallback = ok && !yes
		}
		for _, e := range []struct {
			f Field
			v string
		}{{FWhen, el.When}, {FWho, el.Who}, {FMatter, el.Matter}} {
			if utf8.RuneCountInString(e.v) > caseflow.MaxElement {
				bad(e.f, "at most %d characters", caseflow.MaxElement)
			}
		}
		if el != (caseflow.Elements{}) {
			in.Elements = &el
		}
		if in.Anonymous {
			name = ""
		}
		o.Caller = caseflow.Reporter{Name: name, Phone: phone}
		o.Intake = in
	}
	// How the desk ended it.
	if v := get(FOutcome); v != "" {
		if x, ok := word(v, outcomeWords, outcomes); ok {
			o.Outcome = x
		} else {
			bad(FOutcome, "unknown outcome %q (派遣, 直接答复, 转办, 不予受理, 合并 or their code names)", v)
		}
	}
	o.OutcomeNote, o.DuplicateOf = get(FOutcomeNote), get(FDuplicateOf)
	desk := o.Outcome == OutcomeAnswered || o.Outcome == OutcomeTransferred || o.Outcome == OutcomeNotAccepted
	reply, solvedText, unsolved := get(FReply), get(FSolved), get(FUnsolved)
	switch {
	case desk && o.Channel != caseflow.ChannelHotline:
		bad(FOutcome, "only a 12345 order ends at the desk: give its request type")
	case o.Outcome == OutcomeAnswered && reply == "":
		need(FReply, "an order answered at the desk needs the answer given to the caller")
	case (o.Outcome == OutcomeTransferred || o.Outcome == OutcomeNotAccepted) && o.OutcomeNote == "":
		need(FOutcomeNote, "say where the call was transferred to, or why it was not accepted")
	case o.Outcome == OutcomeMerged && o.DuplicateOf == "":
		need(FDuplicateOf, "a merged order names the case number it was merged into")
	case o.Outcome == OutcomeMerged && o.DuplicateOf == r.Number:
		bad(FDuplicateOf, "an order cannot be merged into itself")
	case o.Outcome == OutcomeMerged && seen[o.DuplicateOf] == 0 && !caseKnown(c, o.DuplicateOf):
		bad(FDuplicateOf, "case number %s is neither in Xiuhua nor on an earlier line", o.DuplicateOf)
	}
	// The answer the caller was given: the desk's, or the department's on
	// a closed order.
	if reply != "" || solvedText != "" || unsolved != "" {
		switch {
		case o.Outcome == OutcomeDispatched && r.ClosedAt.IsZero():
			need(FClosed, "an order with its answer is closed: give the close time")
		case o.Outcome != OutcomeDispatched && o.Outcome != OutcomeAnswered:
			bad(FReply, "a %s order has no answer", o.Outcome)
		}
		solved := true
		if solvedText != "" {
			yes, ok := yesNo(solvedText)
			if !ok {
				bad(FSolved, "%q: 是 or 否", solvedText)
			}
			solved = yes
		}
		if utf8.RuneCountInString(reply) > 2000 {
			bad(FReply, "at most 2,000 characters")
		}
		o.Answer, o.Unsolved = &caseflow.Answer{Reply: reply, Solved: solved}, unsolved
	}
	// The callback.
	if v := get(FRating); v != "" {
		if x, ok := word(v, ratingWords, caseflow.Ratings); ok {
			o.Reach, o.Rating = caseflow.Reached, x
		} else if x, ok := word(v, reachWords, caseflow.Reaches); ok && x != caseflow.Reached {
			o.Reach = x
		} else {
			bad(FRating, "unknown callback result %q (满意, 基本满意, 不满意, 未接通, 拒绝回访)", v)
		}
		answered := o.Outcome == OutcomeAnswered || (o.Outcome == OutcomeDispatched && !r.ClosedAt.IsZero())
		if !answered {
			bad(FRating, "a callback follows the answer: only an order answered at the desk or closed is called back")
		}
	}
	if v := get(FCallbackAt); v != "" {
		at, err := parseWhen(v, rr.loc)
		switch {
		case err != nil:
			bad(FCallbackAt, "callback time %q: %v", v, err)
		case o.Reach == "":
			bad(FCallbackAt, "a callback time without its result (满意度)")
		case at.Before(r.ClosedAt) || at.Before(r.ReportedAt):
			bad(FCallbackAt, "called back before the order was answered")
		case at.After(c.Now):
			bad(FCallbackAt, "callback time %s is in the future", v)
		}
		o.CallbackAt = at
	}
	return o
}

func caseKnown(c Checks, number string) bool {
	if c.Case == nil {
		return false
	}
	_, ok := c.Case(number)
	return ok
}

// attributeColumns finds the answer columns among the headers no field
// took: attr:CODE, or a question's own text. An attr: column whose code
// no category asks is an error.
func (t *Table) attributeColumns(used map[int]bool, qs map[string][]catalog.Attribute) (map[int]string, []places.RowError) {
	codes, questions := map[string]bool{}, map[string]bool{}
	for _, list := range qs {
		for _, a := range list {
			codes[a.Code], questions[a.Question] = true, true
		}
	}
	out := map[int]string{}
	var errs []places.RowError
	for i, h := range t.Header {
		h = strings.TrimSpace(h)
		if used[i] || h == "" {
			continue
		}
		if code, ok := strings.CutPrefix(h, AttributePrefix); ok {
			code = strings.TrimSpace(code)
			if !codes[code] {
				errs = append(errs, places.RowError{Line: 1, Column: h, Field: "attributes." + code, Code: "invalid", Msg: fmt.Sprintf("no category asks the question %q", code)})
				continue
			}
			out[i] = code
		} else if questions[h] {
			out[i] = h
		}
	}
	return out, errs
}

// answerColumns reads a row's answers to its category's questions.
// Historical rows predate the questions, so none is required here; each
// answer given is checked as the desk's would be.
func answerColumns(rec []string, cols map[int]string, qs []catalog.Attribute, badAt func(j int, field, code, format string, args ...any)) map[string]string {
	in := map[string]string{}
	at := map[string]int{}
	for _, j := range slices.Sorted(maps.Keys(cols)) {
		key := cols[j]
		if j >= len(rec) || strings.TrimSpace(rec[j]) == "" {
			continue
		}
		i := slices.IndexFunc(qs, func(a catalog.Attribute) bool { return a.Code == key || a.Question == key })
		if i < 0 {
			badAt(j, "attributes."+key, "invalid", "this category asks no such question")
			continue
		}
		in[qs[i].Code], at[qs[i].Code] = choiceKeys(qs[i], strings.TrimSpace(rec[j])), j
	}
	if len(in) == 0 {
		return nil
	}
	optional := slices.Clone(qs)
	for i := range optional {
		optional[i].Required = false
	}
	got, err := catalog.Answer(optional, in)
	if ae, ok := err.(*catalog.AttributeError); ok {
		code := strings.TrimPrefix(ae.Field, "attributes.")
		badAt(at[code], ae.Field, "invalid", "%s", ae.Msg)
		return nil
	}
	return got
}

// choiceKeys reads a list question's answer as a ledger writes it: the
// choices by key or by name (水果蔬菜), several separated by 、，, or ；.
func choiceKeys(q catalog.Attribute, v string) string {
	if q.Datatype != catalog.SingleValue && q.Datatype != catalog.MultiValue {
		return v
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",，、;；", r) })
	for i, p := range parts {
		p = strings.TrimSpace(p)
		for _, c := range q.Values {
			if c.Name == p {
				p = c.Key
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}
