package org

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Password rules for new passwords (creation, reset, change): long
// enough, not the username, not trivial, not common. Logins check only
// the hash: an old password that breaks a newer rule still signs in.
const (
	MinPassword = 10
	MaxPassword = 200
)

// Why a new password is refused; each reason is a message key
// ("err.password_"+reason) in the web app's catalogs.
const (
	PasswordTooShort     = "too_short"
	PasswordTooLong      = "too_long"
	PasswordLikeUsername = "like_username"
	PasswordTrivial      = "trivial"
	PasswordCommon       = "common"
)

// PasswordError is a refused new password.
type PasswordError struct{ Reason string }

func (e *PasswordError) Error() string {
	switch e.Reason {
	case PasswordTooShort:
		return "the password needs at least 10 characters"
	case PasswordTooLong:
		return "the password is longer than 200 characters"
	case PasswordLikeUsername:
		return "the password must not contain the username"
	case PasswordTrivial:
		return "the password is too simple: repeated characters, a sequence or a keyboard row"
	default:
		return "the password is one of the most common passwords; choose another"
	}
}

//go:embed common-passwords.txt
var commonText string

var common = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for line := range strings.SplitSeq(commonText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
})

// keyboard rows and columns, walked either way, make trivial passwords.
var keyboard = []string{"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/", "qazwsxedcrfvtgbyhnujmikolp", "abcdefghijklmnopqrstuvwxyz", "01234567890"}

// CheckNewPassword says why password may not become username's new
// password, as a *PasswordError, or nil.
func CheckNewPassword(username, password string) error {
	switch n := utf8.RuneCountInString(password); {
	case n < MinPassword:
		return &PasswordError{PasswordTooShort}
	case n > MaxPassword:
		return &PasswordError{PasswordTooLong}
	}
	low := strings.ToLower(password)
	if u := strings.ToLower(username); len(u) >= 3 && (strings.Contains(low, u) || strings.Contains(low, reverse(u))) {
		return &PasswordError{PasswordLikeUsername}
	}
	if trivial(low) {
		return &PasswordError{PasswordTrivial}
	}
	c := common()
	if c[low] || c[stem(low)] || c[unleet(low)] || c[stem(unleet(low))] {
		return &PasswordError{PasswordCommon}
	}
	return nil
}

// trivial: few distinct characters, one step repeated (abcdef, 97531),
// or a stretch of a keyboard row or column.
func trivial(pw string) bool {
	rs := []rune(pw)
	distinct := map[rune]bool{}
	for _, r := range rs {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		return true
	}
	step, steady := rs[1]-rs[0], true
	for i := 2; i < len(rs) && steady; i++ {
		steady = rs[i]-rs[i-1] == step
	}
	if steady {
		return true
	}
	for _, k := range keyboard {
		if strings.Contains(k, pw) || strings.Contains(reverse(k), pw) {
			return true
		}
	}
	return false
}

// stem is a password without its trailing digits and signs
// ("summer2026!" → "summer"), if four or more characters are left.
func stem(pw string) string {
	s := strings.TrimRightFunc(pw, func(r rune) bool { return !unicode.IsLetter(r) })
	if utf8.RuneCountInString(s) < 4 {
		return pw
	}
	return s
}

var leet = strings.NewReplacer("@", "a", "4", "a", "0", "o", "1", "i", "!", "i", "3", "e", "$", "s", "5", "s", "7", "t", "+", "t")

// unleet undoes the usual substitutions inside a password (p@ssw0rd →
// password), leaving its trailing digits and signs as they are.
func unleet(pw string) string {
	s := stem(pw)
	return leet.Replace(s) + pw[len(s):]
}

func reverse(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}
