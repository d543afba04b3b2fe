// Package notify tells the offices about their alerts through a durable
// outbox: a generic JSON webhook, a WeCom (企业微信) group robot, a
// DingTalk (钉钉) group robot and an MQTT alert topic.
//
// # The outbox
//
// Send formats a Message for every channel that serves its office and
// stores the results (store.Notification, keyed by channel and the
// message's idempotency key) in one durable transaction of the collector's
// store before it returns. A message is therefore either refused to the
// caller or owed until it is delivered or given up, across collector
// restarts: the next Run sends what the last one did not. The body is
// formatted when enqueued, so a restart sends exactly what was decided;
// only DingTalk's signature is made at each attempt, because DingTalk
// refuses a timestamp more than an hour old. A (channel, key) is stored
// once: sending the same event again, before or after its delivery,
// changes nothing, so the alert manager may repeat itself freely.
//
// Run keeps one worker per channel, so a slow or dead destination delays
// only itself. A channel delivers its messages oldest first, and one that
// failed and waits for its next attempt holds back the younger ones: a
// duty group never reads "resolved" before "opened", and a robot that is
// limiting its rate is not sent more while it recovers. Only one notifier
// may deliver from an outbox.
//
// Delivery is at least once. An answer that arrives as the collector
// dies, before the outcome is recorded, is asked for again after the
// restart; and WeCom's and DingTalk's robots do not deduplicate. So every
// webhook request carries the key in an Idempotency-Key header, every JSON
// body carries it as "key", and every robot message ends with it
// ("幂等键 …") where people can see a repeat for what it is.
//
// A robot's URL is its credential: errors, kept as the outbox's LastError
// and logged, name a destination by its scheme and host only.
//
// # Retries
//
// An attempt either delivers, is refused for good (the message becomes
// Failed), or fails in a way that may pass: the message is then due again
// after capped exponential backoff with jitter computed from its attempts
// (Opts.Backoff: 0.5–1 s after the first failure by default, doubling up
// to 2.5–5 min). Every attempt is recorded with store Settle. A message
// pending longer than Opts.MaxAge (24 h) is given up: after a failed
// attempt whose next would come later than that, or unsent when it
// reaches the head of its channel that late. An attempt cut short by the
// end of Run's context is not recorded; the message stays as it was.
//
//	destination   delivered          tried again                              refused (Failed)
//	webhook       2xx                408, 429, 5xx, network errors, timeouts  any other status
//	WeCom robot   200, errcode 0     errcode 45009, -1; 408, 429, 5xx;        any other errcode or status
//	                                 network errors; a body without errcode
//	DingTalk      200, errcode 0     errcode 130101, -1; as WeCom             any other errcode or status
//	MQTT          the broker's PUBACK (Publisher returns nil)  any Publish error  —
//
// # Formats
//
// The webhook POSTs the Message as JSON (Content-Type application/json,
// User-Agent xiuhua-collector). The MQTT channel publishes the same JSON
// with QoS 1, not retained, to <prefix>/<office> (prefix
// "xiuhua/v1/alerts" unless set), for the offices' screens and bridges.
//
// The robots get text for people, Chinese first: the severity (严重, 警告,
// 提示) and event (新告警, 已确认, 已解除, 升级, 频繁告警) in a heading,
// marked 补报 for a retrospective alert; the alert's own message; then one
// line each for the office (or, for an escalation, the office escalated
// to), the device, sensor and quantity, the site, the district, the value
// against the limit with the unit (not for event rules, whose value is
// only 1 or 0), the time the rule broke in China Standard Time
// (2006-01-02 15:04:05, 北京时间), who acknowledged and when, when and how
// it resolved, the escalation level and path, the flaps folded in, the
// message's note, the duty contacts, a link to <BaseURL>/api/v1/alerts/<id>
// when Opts.BaseURL is set, and a footer with the alert id and the
// idempotency key. Free text is folded onto one line and clipped, and the
// whole kept within the robots' sizes. Every text contains "告警", so a
// robot secured by the custom keyword 告警 takes them all. The golden files
// in testdata show each format byte for byte.
//
// WeCom: when any duty contact has a phone, the message is a text message
// ({"msgtype":"text","text":{"content":…,"mentioned_mobile_list":[…]}}),
// because WeCom's markdown can @-mention only by userid (<@userid>), which
// the offices' rosters do not hold; otherwise it is markdown
// ({"msgtype":"markdown","markdown":{"content":…}}) in the subset WeCom
// renders: quoted lines (it has no lists) and its three font colours. One
// message, not markdown plus a text, so that each alert costs one of the
// robot's 20 messages a minute and a retry never repeats half a pair.
// Text content is kept within 2048 bytes and markdown within 4096.
//
// DingTalk: {"msgtype":"markdown","markdown":{"title":…,"text":…},
// "at":{"atMobiles":[…],"isAtAll":false}}; the text names each mentioned
// phone as @<phone>, which DingTalk requires for the mention to show. With
// Channel.Secret set, each attempt appends &timestamp=<Unix ms>&sign=<s> to
// the URL, s being the URL-escaped base64 HMAC-SHA256, keyed with the
// secret, of "<timestamp>\n<secret>".
//
// # Sources
//
// The official pages could not be fetched from here; these were read
// through copies of them, which agree with each other:
//
//   - WeCom 群机器人配置说明, developer.work.weixin.qq.com/document/path/91770
//     (work.weixin.qq.com/api/doc/90000/90136/91770; the copy on
//     cnblogs.com/tiandi/p/17768525.html, and hexdocs.pm/wechat_sdk
//     WeCom.Work.ChatRobot for the limit of 20 messages a minute): the
//     text and markdown bodies, mentioned_mobile_list, text content up to
//     2048 bytes and markdown content up to 4096 (「markdown内容，最长不超过
//     4096个字节」), mentions in markdown by <@userid> only.
//   - WeCom 全局错误码, developer.work.weixin.qq.com/document/path/90313
//     (copy: static.kancloud.cn/dabashan/qiwei/2376083): -1 系统繁忙, retry
//     later; 45009 is the API frequency limit (接口调用超过限制).
//   - DingTalk 自定义机器人, open.dingtalk.com/document/robots/custom-robot-access,
//     its message types (open.dingtalk.com/document/development/robot-message-type)
//     and security settings (加签), as copied on mihaoyun.com/wordpress/?p=391
//     and codeprj.com/zh/blog/e9ca2e1.html: the markdown body, at.atMobiles
//     with @<phone> in the text, the signature, the one-hour window, 20
//     messages a minute.
//   - DingTalk 全局返回码 (copy: mabiji.com/dingtalk/errcode.html): -1
//     系统繁忙, retry later. 130101 "send too fast, exceed 20 times per
//     minute" as robots answer it, e.g. github.com/ccfos/nightingale issue
//     369.
package notify
