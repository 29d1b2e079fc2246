package notify

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// mobile is a mainland mobile number: 11 digits from 13x to 19x.
var mobile = regexp.MustCompile(`^1[3-9]\d{9}$`)

// ContactError is a person's contact the rules refuse: the field at fault
// and why; Missing when a chosen channel lacks its address.
type ContactError struct {
	Field   string
	Missing bool
	Msg     string
}

func (e *ContactError) Error() string { return e.Field + ": " + e.Msg }

// CheckPerson checks how a person asks to be reached: a mainland mobile
// phone, an e-mail address, a language of the catalogs, channels a person
// may choose, each with its address.
func CheckPerson(p Person) error {
	switch {
	case p.Phone != "" && !mobile.MatchString(p.Phone):
		return &ContactError{Field: "phone", Msg: "a mainland mobile number: 11 digits, 13x–19x"}
	case p.Email != "" && !isAddress(p.Email):
		return &ContactError{Field: "email", Msg: "an e-mail address such as li@example.cn"}
	case !slices.Contains(Languages, p.Lang):
		return &ContactError{Field: "lang", Msg: "zh-CN or en"}
	}
	for i, c := range p.Channels {
		if !slices.Contains(PersonChannels, c) {
			return &ContactError{Field: fmt.Sprintf("channels[%d]", i), Msg: fmt.Sprintf("unknown channel %q (sms, mail)", c)}
		}
		if slices.Index(p.Channels, c) != i {
			return &ContactError{Field: fmt.Sprintf("channels[%d]", i), Msg: fmt.Sprintf("%s is chosen twice", c)}
		}
	}
	if slices.Contains(p.Channels, SendSMS) && p.Phone == "" {
		return &ContactError{Field: "phone", Missing: true, Msg: "SMS needs a phone number"}
	}
	if slices.Contains(p.Channels, SendMail) && p.Email == "" {
		return &ContactError{Field: "email", Missing: true, Msg: "mail needs an e-mail address"}
	}
	return nil
}

// isAddress is a bare address (no name, no angle brackets), at most 254
// bytes.
func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && len(s) <= 254 && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

// MaskPhone shows a phone as 139****0001; MaskEmail an address as
// l***@x.cn: enough to tell whose it is, not enough to use it.
func MaskPhone(s string) string {
	if len(s) < 7 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}

// MaskEmail keeps the first character of the local part and the domain.
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 1 {
		return "***"
	}
	_, n := utf8.DecodeRuneInString(s)
	return s[:n] + "***" + s[at:]
}

// MaskAddress masks a send's address by its channel; a robot's is its id.
func MaskAddress(ch, addr string) string {
	switch ch {
	case SendSMS:
		return MaskPhone(addr)
	case SendMail:
		return MaskEmail(addr)
	}
	return addr
}
