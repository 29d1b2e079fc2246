package main

import (
	"github.com/xiuhua/xiuhua/internal/config"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
)

// channels builds the mail and SMS channels the configuration names (nil
// for one it leaves empty); the group robots are built from the robots
// table as they are used.
func channels(c *config.Config) (mail, sms channel.Channel, err error) {
	if c.SMTPHost != "" {
		m, err := channel.NewMail(channel.MailConfig{Host: c.SMTPHost, Port: c.SMTPPortNum, User: c.SMTPUser, Password: c.SMTPPassword, From: c.SMTPFrom,
			ImplicitTLS: c.SMTPTLS == "implicit"})
		if err != nil {
			return nil, nil, err
		}
		mail = m
	}
	switch c.SMS {
	case "aliyun":
		s, err := channel.NewAliyunSMS(channel.AliyunSMSConfig{BaseURL: c.SMSURL, AccessKeyID: c.SMSAccount, AccessKeySecret: c.SMSSecret, SignName: c.SMSSign})
		if err != nil {
			return nil, nil, err
		}
		sms = s
	case "cmas":
		s, err := channel.NewCMAS(channel.CMASConfig{BaseURL: c.SMSURL, EcName: c.SMSEcName, ApID: c.SMSAccount, SecretKey: c.SMSSecret, Sign: c.SMSSign})
		if err != nil {
			return nil, nil, err
		}
		sms = s
	}
	return mail, sms, nil
}
