package org

import (
	"errors"
	"testing"
)

func TestCheckNewPassword(t *testing.T) {
	for _, c := range []struct {
		user, pw, reason string
	}{
		{"leader", "xiuhua2026", ""}, // the demo's password
		{"leader", "long-enough-1", ""},
		{"leader", "a-new-password-2026", ""},
		{"leader", "石榴花开了2026年", ""},
		{"leader", "short1!", PasswordTooShort},
		{"leader", "九个汉字的密码吗", PasswordTooShort},
		{"leader", string(make([]byte, 201)), PasswordTooLong},
		{"dispatcher1", "dispatcher1!", PasswordLikeUsername},
		{"dispatcher1", "My-DISPATCHER1-pw", PasswordLikeUsername},
		{"zhangsan", "nasgnahz2026", PasswordLikeUsername},
		{"leader", "aaaaaaaaaaaa", PasswordTrivial},
		{"leader", "ababababab", PasswordTrivial},
		{"leader", "1212121212!", PasswordTrivial},
		{"leader", "abcdefghijk", PasswordTrivial},
		{"leader", "9876543210", PasswordTrivial},
		{"leader", "qwertyuiop", PasswordTrivial},
		{"leader", "1qaz2wsx3edc", PasswordTrivial},
		{"leader", "password1234", PasswordCommon},
		{"leader", "Password2026!", PasswordCommon},
		{"leader", "P@ssw0rd2026", PasswordCommon},
		{"leader", "iloveyou1314", PasswordCommon},
		{"leader", "woaini1314520", PasswordCommon},
		{"leader", "Shanghai2026", PasswordCommon},
		{"leader", "dragon123456", PasswordCommon},
	} {
		err := CheckNewPassword(c.user, c.pw)
		var pe *PasswordError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%q for %s refused: %v", c.pw, c.user, err)
		case c.reason != "" && (!errors.As(err, &pe) || pe.Reason != c.reason):
			t.Errorf("%q for %s: %v, want %s", c.pw, c.user, err, c.reason)
		}
	}
}
