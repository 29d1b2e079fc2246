// Package org owns organisation units (departments, street offices,
// property companies, the command centre) and staff accounts.
package org

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// UnitKind says what kind of organisation a unit is.
type UnitKind string

const (
	KindCentre     UnitKind = "centre"     // 指挥中心 / 12345 热线
	KindDepartment UnitKind = "department" // 专业部门 (环卫处, 园林管理处 …)
	KindStreet     UnitKind = "street"     // 街道办事处
	KindCommunity  UnitKind = "community"  // 社区居委会
	KindProperty   UnitKind = "property"   // 物业公司
	KindLeadership UnitKind = "leadership" // 区领导
)

// Unit is an organisation unit.
type Unit struct {
	ID     int64    `json:"id"`
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	Kind   UnitKind `json:"kind"`
	Street string   `json:"street,omitempty"` // the street it belongs to, if any
	Parent int64    `json:"parent,omitempty"`
}

// Account is a staff account.
type Account struct {
	ID           int64         `json:"id"`
	Username     string        `json:"username"`
	Name         string        `json:"name"`
	Role         caseflow.Role `json:"role"`
	UnitID       int64         `json:"unit_id"`
	Phone        string        `json:"-"`
	PasswordHash string        `json:"-"`
	Grids        []string      `json:"grids,omitempty"` // a grid worker's patch
	Active       bool          `json:"active"`
}

// argon2id parameters (OWASP: m=19 MiB, t=2, p=1).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC string for password.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("org: a password needs at least 8 characters")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a PHC string.
func CheckPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}
