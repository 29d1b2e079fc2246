// Package caseflow owns the case loop of digital city management (GB/T 30428)
// and the 12345 work-order loop: the states a case passes through, the tasks
// it creates in departments, who may move it, and the append-only event that
// every move leaves behind. It knows nothing of HTTP or SQL: the store loads a
// case, calls Apply, and writes the result and its event in one transaction.
package caseflow

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// State is where a case stands in the loop (PRODUCT.md §4).
type State string

const (
	Reported     State = "reported"      // 上报
	Registered   State = "registered"    // 立案, waiting for dispatch
	Dispatched   State = "dispatched"    // 派遣, no department has signed yet
	InProgress   State = "in_progress"   // 签收/处置
	Suspended    State = "suspended"     // 挂账, clock paused
	PendingCheck State = "pending_check" // 处理反馈 received, 核查 due
	PendingClose State = "pending_close" // 核查 passed, 结案 due
	Closed       State = "closed"        // 结案
	Voided       State = "voided"        // 作废 or merged as duplicate
)

// States lists every state in loop order.
var States = []State{Reported, Registered, Dispatched, InProgress, Suspended, PendingCheck, PendingClose, Closed, Voided}

// Open reports whether the case still needs work.
func (s State) Open() bool { return s != Closed && s != Voided }

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, v := range States {
		if v == s {
			return true
		}
	}
	return false
}

// Role is a staff role (PRODUCT.md §1); Resident and System are the two
// actors without a staff account.
type Role string

const (
	GridWorker Role = "grid_worker"
	Operator   Role = "operator"
	Dispatcher Role = "dispatcher"
	Handler    Role = "handler"
	Leader     Role = "leader"
	Admin      Role = "admin"
	Resident   Role = "resident"
	System     Role = "system"
)

// StaffRoles are the roles a staff account may have.
var StaffRoles = []Role{GridWorker, Operator, Dispatcher, Handler, Leader, Admin}

// Valid reports whether r is a staff role.
func (r Role) Valid() bool {
	for _, v := range StaffRoles {
		if v == r {
			return true
		}
	}
	return false
}

// Channel is how a case reached the system.
type Channel string

const (
	ChannelPatrol  Channel = "patrol"  // a grid worker's patrol
	ChannelHotline Channel = "hotline" // 12345
	ChannelWeb     Channel = "web"     // a resident on the public site
	ChannelOpen311 Channel = "open311" // an Open311 client
	ChannelImport  Channel = "import"  // an imported spreadsheet ledger
	ChannelVideo   Channel = "video"   // a camera's alarm (视频智能识别), through the alarm intake
	ChannelIoT     Channel = "iot"     // a sensor's alarm (物联感知), through the alarm intake
)

// Channels lists every channel.
var Channels = []Channel{ChannelPatrol, ChannelHotline, ChannelWeb, ChannelOpen311, ChannelImport, ChannelVideo, ChannelIoT}

// Machine reports whether only a machine intake files cases of this
// channel (the ledger import, the alarm intake): a person's report may
// not name it.
func (c Channel) Machine() bool { return c == ChannelImport || c == ChannelVideo || c == ChannelIoT }

// Urgency is 一般, 紧急 or 特急.
type Urgency string

const (
	Normal    Urgency = "normal"    // 一般
	Urgent    Urgency = "urgent"    // 紧急
	Immediate Urgency = "immediate" // 特急: danger to people or property now; its clock runs around the clock
)

// Urgencies in the order the desk offers them.
var Urgencies = []Urgency{Normal, Urgent, Immediate}

// Valid says whether u is one of Urgencies.
func (u Urgency) Valid() bool { return slices.Contains(Urgencies, u) }

// CloseType says how a case was closed.
type CloseType string

const (
	CloseNormal  CloseType = "normal"
	CloseOverdue CloseType = "overdue"
	CloseSpecial CloseType = "special" // an approved exception
	// Ended at the hotline desk, never dispatched.
	CloseAnswered    CloseType = "answered"    // 直接答复
	CloseTransferred CloseType = "transferred" // 转办
)

// TaskState is where one department's task stands.
type TaskState string

const (
	TaskDispatched TaskState = "dispatched" // waiting for 签收
	TaskSigned     TaskState = "signed"     // being handled
	TaskDone       TaskState = "done"       // reported back
	TaskReturned   TaskState = "returned"   // 回退 approved; no longer active
)

// Active reports whether the task still belongs to the case's work.
func (s TaskState) Active() bool { return s != TaskReturned }

// RequestKind is a pending request a department made on its task.
type RequestKind string

const (
	RequestNone       RequestKind = ""
	RequestReturn     RequestKind = "return"
	RequestExtension  RequestKind = "extension"
	RequestSuspension RequestKind = "suspension"
	// RequestDispute is a return the centre disputed, waiting for the
	// arbitration (派单争议).
	RequestDispute RequestKind = "dispute"
)

// Point is a WGS84 position.
type Point struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// Place is where a case was filed, resolved once at report time and kept
// even when the grid layer is redrawn later.
type Place struct {
	UnitGrid  string `json:"unit_grid"`
	Grid      string `json:"grid"`
	Community string `json:"community"`
	Street    string `json:"street"`
}

// Reporter is who reported the case. Name and phone are personal data and
// never leave staff views.
type Reporter struct {
	AccountID int64  `json:"account_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	// Updates: the requester agreed to hear how the report goes (by SMS
	// to Phone or mail to Email).
	Updates bool `json:"updates,omitempty"`
}

// phoneNumber is a mainland mobile number or a landline with its area
// code (Datong's is 0352).
var phoneNumber = regexp.MustCompile(`^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$`)

// Phone reads a caller's phone number as people write it (spaces
// dropped) and says whether it is one: a mainland mobile (13912345678)
// or a landline with its area code (0352-1234567).
func Phone(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	return s, phoneNumber.MatchString(s)
}

// Mobile reports whether s is a mainland mobile number, one that takes SMS.
func Mobile(s string) bool {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	return mobileNumber.MatchString(s)
}

var mobileNumber = regexp.MustCompile(`^(\+?86)?1[3-9][0-9]{9}$`)

// Case is one reported problem through its whole life.
type Case struct {
	ID          int64
	Number      string
	Version     int
	Channel     Channel
	CategoryID  string
	Urgency     Urgency
	State       State
	Description string
	Address     string
	Point       Point
	Place       Place
	Reporter    Reporter

	Verified      bool  // a grid worker confirmed it on site
	DuplicateOf   int64 // set when merged into an earlier case
	SuspendedFrom State // the state to resume to
	SuspendedAt   time.Time
	CloseType     CloseType
	Reworks       int
	Reopens       int
	Satisfied     *bool // the last callback's answer

	// A hotline order's answer and callback (回访): when the lead
	// department answered the requester, when the callback is due (zero
	// once it is made, or when nobody can be called back), the last
	// rating, and whether a dissatisfied rating waits for its review, due
	// by ReviewDue.
	AnsweredAt  time.Time
	CallbackDue time.Time
	Rating      Rating
	Review      ReviewState
	ReviewDue   time.Time

	ReportedAt   time.Time
	RegisteredAt time.Time
	DispatchedAt time.Time
	ClosedAt     time.Time
	UpdatedAt    time.Time
	Deadline     time.Time // of the step the case is in; zero when none

	Tasks []Task
}

// Task is the part of a case one department must handle.
type Task struct {
	ID           int64
	UnitID       int64
	Lead         bool
	State        TaskState
	DispatchedAt time.Time
	SignedAt     time.Time
	DoneAt       time.Time
	Deadline     time.Time // handling deadline; the clock starts at dispatch
	HandlerID    int64     // the person who signed
	Extensions   int
	Request      RequestKind
	RequestNote  string
	RequestedAt  time.Time
	RequestedDue time.Time // the deadline an extension asks for; a disputed return's arbitration is due by it

	// First contact (首次联系) on a hotline order's lead task: the time
	// limit, and when and how the department reached the requester.
	ContactDue    time.Time
	ContactedAt   time.Time
	ContactMethod ContactMethod
}

// Overdue reports whether the task's work was (or is) late at now.
func (t *Task) Overdue(now time.Time) bool {
	if t.Deadline.IsZero() || !t.State.Active() {
		return false
	}
	if t.State == TaskDone {
		return t.DoneAt.After(t.Deadline)
	}
	return now.After(t.Deadline)
}

// Actor is who makes a transition.
type Actor struct {
	AccountID int64 `json:"account_id,omitempty"`
	Role      Role  `json:"role"`
	UnitID    int64 `json:"unit_id,omitempty"`
}

// Event is one append-only line in a case's history.
type Event struct {
	ID        int64
	CaseID    int64
	Seq       int // the case version this event produced
	Action    Action
	FromState State
	ToState   State
	TaskID    int64
	Actor     Actor
	At        time.Time
	Reason    string
	Data      EventData
}

// EventData holds what an event carries beyond who and when.
type EventData struct {
	Note        string       `json:"note,omitempty"`
	Photos      []string     `json:"photos,omitempty"`
	Location    *Point       `json:"location,omitempty"`
	Assignments []Assignment `json:"assignments,omitempty"`
	UnitID      int64        `json:"unit_id,omitempty"`
	Deadline    *time.Time   `json:"deadline,omitempty"`
	CloseType   CloseType    `json:"close_type,omitempty"`
	DuplicateOf int64        `json:"duplicate_of,omitempty"`
	Found       *bool        `json:"found,omitempty"`
	Satisfied   *bool        `json:"satisfied,omitempty"`
	Solved      *bool        `json:"solved,omitempty"`
	Rule        string       `json:"rule,omitempty"`
	Retimed     []Retime     `json:"retimed,omitempty"`
	Corrected   *Corrected   `json:"corrected,omitempty"`
	Intake      *Intake      `json:"intake,omitempty"`    // a call taken at the hotline desk
	Knowledge   []int64      `json:"knowledge,omitempty"` // the knowledge points an answer at the desk used
	// Attributes are the report's answers to its category's questions
	// (code → value), kept for staff.
	Attributes map[string]string `json:"attributes,omitempty"`
	Contact    *Contact          `json:"contact,omitempty"`   // first contact with the requester
	Answer     *Answer           `json:"answer,omitempty"`    // the department's answer to the requester
	Reach      Reach             `json:"reach,omitempty"`     // a callback attempt's outcome
	Late       *Late             `json:"late,omitempty"`      // the system's reminder or supervision: the deadline that passed
	Rating     Rating            `json:"rating,omitempty"`    // a callback's rating
	Justified  *bool             `json:"justified,omitempty"` // a review of a dissatisfied rating
	// ArbitrationDue is, on an arbitration, the limit it was due by (from
	// the dispute): a decision after it is a late arbitration.
	ArbitrationDue *time.Time `json:"arbitration_due,omitempty"`
}

// ContactMethod is how a department reached the requester.
type ContactMethod string

// The ways of first contact.
const (
	ContactPhone ContactMethod = "phone" // 电话
	ContactVisit ContactMethod = "visit" // 上门
	ContactSMS   ContactMethod = "sms"   // 短信
)

// ContactMethods in the order a liaison is offered them.
var ContactMethods = []ContactMethod{ContactPhone, ContactVisit, ContactSMS}

// Contact is a first contact (首次联系): when the requester was reached
// and how; the note and photos of the event are its evidence.
type Contact struct {
	At     time.Time     `json:"at"`
	Method ContactMethod `json:"method"`
}

// Answer is a department's answer to the requester (办理结果): the reply
// the requester is given (public, apart from the event's internal
// handling note), and whether the matter is solved; the event's reason
// says why not.
type Answer struct {
	Reply  string `json:"reply"`
	Solved bool   `json:"solved"`
}

// Reach is how a callback attempt went.
type Reach string

// Callback attempts.
const (
	Reached    Reach = "reached"     // 已接通: the rating follows
	NotReached Reach = "not_reached" // 未接通: try again
	Refused    Reach = "refused"     // 拒绝回访: no rating, no further attempt
)

// Reaches lists every attempt outcome.
var Reaches = []Reach{Reached, NotReached, Refused}

// Rating is the hotline's callback scale.
type Rating string

// The callback scale (满意, 基本满意, 不满意).
const (
	RatingSatisfied    Rating = "satisfied"        // 满意
	RatingFair         Rating = "fairly_satisfied" // 基本满意
	RatingDissatisfied Rating = "dissatisfied"     // 不满意
)

// Ratings in scale order.
var Ratings = []Rating{RatingSatisfied, RatingFair, RatingDissatisfied}

// ReviewState is where the review (复核) of a dissatisfied rating stands.
type ReviewState string

// Review states: none, or waiting for the hotline's decision.
const (
	ReviewNone    ReviewState = ""
	ReviewPending ReviewState = "pending"
)

// RequestType is what a caller asks for (诉求类型); it decides which steps
// a hotline order takes.
type RequestType string

// The request types of the 12345 hotlines.
const (
	Enquiry    RequestType = "enquiry"    // 咨询
	Help       RequestType = "help"       // 求助
	Complaint  RequestType = "complaint"  // 投诉
	TipOff     RequestType = "tip_off"    // 举报
	Suggestion RequestType = "suggestion" // 建议
	Praise     RequestType = "praise"     // 表扬
)

// RequestTypes in the order the desk offers them.
var RequestTypes = []RequestType{Complaint, Help, Enquiry, TipOff, Suggestion, Praise}

// UnmarshalText reads a request type, taking the names orders were kept
// under before the glossary's (consult, tip) as the glossary's.
func (t *RequestType) UnmarshalText(b []byte) error {
	switch v := RequestType(b); v {
	case "consult":
		*t = Enquiry
	case "tip":
		*t = TipOff
	default:
		*t = v
	}
	return nil
}

// Intake is what the hotline operator recorded with the call, beyond the
// caller's name and phone (Reporter): the request type, whether the
// caller wants to stay anonymous (the name is not kept) and whether they
// accept a callback.
type Intake struct {
	Type       RequestType `json:"type"`
	Anonymous  bool        `json:"anonymous,omitempty"`
	NoCallback bool        `json:"no_callback,omitempty"`
	Elements   *Elements   `json:"elements,omitempty"`
}

// Elements are the five elements an operator records of a call (五要素):
// the place (地点) is the case's own, and the course of events (经过) its
// description; these are the other three, as the caller told them. They
// are staff-only text, like the caller.
type Elements struct {
	When   string `json:"when,omitempty"`   // 时间: when it happens (昨晚十点起, 每天清晨)
	Who    string `json:"who,omitempty"`    // 人物: who is involved (the stall, the site, the neighbour)
	Matter string `json:"matter,omitempty"` // 事由: the matter in a line
}

// MaxElement is the longest an element may be, in characters.
const MaxElement = 100

// Corrected is what a correction at registration or dispatch changed.
type Corrected struct {
	FromCategory string `json:"from_category,omitempty"`
	ToCategory   string `json:"to_category,omitempty"`
	FromPlace    *Place `json:"from_place,omitempty"`
	ToPlace      *Place `json:"to_place,omitempty"`
	FromPoint    *Point `json:"from_point,omitempty"`
	ToPoint      *Point `json:"to_point,omitempty"`
}

// Assignment names a department a case is dispatched to.
type Assignment struct {
	UnitID int64  `json:"unit_id"`
	Lead   bool   `json:"lead,omitempty"`
	Rule   string `json:"rule,omitempty"` // why this department, when routed automatically
}
