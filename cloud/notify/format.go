package notify

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua/internal/sigfig"
)

// The robots' limits on a message's content, in bytes of UTF-8 (WeCom's
// robot documentation); DingTalk documents none, so it gets WeCom's
// markdown limit.
const (
	wecomTextMax     = 2048
	wecomMarkdownMax = 4096
	dingtalkMax      = 4096
)

// Bounds on the free-text parts of a robot message, in runes, so that the
// fixed lines and the footer always fit.
const (
	titleMax = 200
	noteMax  = 300
	nameMax  = 32
	// contactsMax bounds the duty contacts named and mentioned; an
	// office's duty roster is a handful.
	contactsMax = 20
)

// cst is China Standard Time, in which the offices read times.
var cst = time.FixedZone("CST", 8*3600)

const timeLayout = "2006-01-02 15:04:05"

var severityLabel = map[string]string{"critical": "严重", "warning": "警告", "info": "提示"}

var eventLabel = map[string]string{
	EventOpened:       "新告警",
	EventAcknowledged: "已确认",
	EventResolved:     "已解除",
	EventEscalated:    "升级",
	EventFlapping:     "频繁告警",
}

// format returns the body c sends for m: what the outbox keeps.
func (n *Notifier) format(c *channel, m Message) ([]byte, error) {
	switch c.Type {
	case Webhook:
		return encode(m)
	case MQTT:
		if m.Office == "" || strings.ContainsAny(m.Office, "/+#\x00") {
			return nil, fmt.Errorf("%w: office %q cannot end an MQTT topic", ErrMessage, m.Office)
		}
		return encode(m)
	case WeCom:
		s := n.summarise(m)
		if phones := s.phones(); len(phones) > 0 {
			// WeCom's markdown cannot @-mention by phone, only text can.
			return encode(wecomText{MsgType: "text", Text: wecomTextBody{Content: s.text(wecomTextMax), Mobiles: phones}})
		}
		return encode(wecomMarkdown{MsgType: "markdown", Markdown: wecomMarkdownBody{Content: s.wecomMarkdown(wecomMarkdownMax)}})
	case DingTalk:
		s := n.summarise(m)
		phones := s.phones()
		if phones == nil {
			phones = []string{}
		}
		return encode(dingtalkMarkdown{
			MsgType:  "markdown",
			Markdown: dingtalkMarkdownBody{Title: clip(s.head+" "+s.title, 64), Text: s.dingtalkMarkdown(dingtalkMax)},
			At:       dingtalkAt{AtMobiles: phones},
		})
	}
	return nil, fmt.Errorf("unknown channel type %q", c.Type)
}

// The robots' request bodies, fields in the order of their documentation.
type (
	wecomText struct {
		MsgType string        `json:"msgtype"`
		Text    wecomTextBody `json:"text"`
	}
	wecomTextBody struct {
		Content string   `json:"content"`
		Mobiles []string `json:"mentioned_mobile_list,omitempty"`
	}
	wecomMarkdown struct {
		MsgType  string            `json:"msgtype"`
		Markdown wecomMarkdownBody `json:"markdown"`
	}
	wecomMarkdownBody struct {
		Content string `json:"content"`
	}
	dingtalkMarkdown struct {
		MsgType  string               `json:"msgtype"`
		Markdown dingtalkMarkdownBody `json:"markdown"`
		At       dingtalkAt           `json:"at"`
	}
	dingtalkMarkdownBody struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	dingtalkAt struct {
		AtMobiles []string `json:"atMobiles"`
		IsAtAll   bool     `json:"isAtAll"`
	}
)

// encode is json.Marshal without HTML escaping: the robots' markdown has
// tags, and the bodies stay readable in the outbox.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// summary is a message as the duty groups read it, before it is laid out
// for one robot.
type summary struct {
	head     string // 【严重】新告警, with 补报 for a retrospective alert
	color    string // WeCom's colour for the head: warning, info or comment
	title    string // the alert's own message
	rows     []row
	contacts []Contact
	link     string
	foot     string // the alert id and the idempotency key
}

type row struct{ label, value string }

func (n *Notifier) summarise(m Message) summary {
	a := m.Alert
	sev := label(severityLabel, a.Severity)
	s := summary{
		head:  "【" + sev + "】" + label(eventLabel, m.Event),
		color: "warning",
		title: clip(oneLine(a.Message), titleMax),
		foot:  "告警编号 " + a.ID + " · 幂等键 " + m.Key,
	}
	if a.Retrospective {
		s.head += "（补报）"
	}
	switch {
	case m.Event == EventResolved:
		s.color = "info"
	case a.Severity == "info":
		s.color = "comment"
	}
	add := func(label, value string) {
		if value != "" {
			s.rows = append(s.rows, row{label, value})
		}
	}
	office := clip(oneLine(m.OfficeName), nameMax)
	switch {
	case office == "":
		office = m.Office
	case m.Office != "":
		office += "（" + m.Office + "）"
	}
	if m.Event == EventEscalated {
		add("升级至", office)
	} else {
		add("通知单位", office)
	}
	add("设备", join(" · ", a.Device, a.Sensor, string(a.Quantity)))
	add("站点", a.Site)
	add("区域", a.District)
	if a.Kind != "event" { // an event's value is only its start (1) or end (0)
		// As stored: cloud/alert rounded the value to read beside its
		// limit (sigfig.Round), and the limit is the plan's. Rounding
		// again could put a value that only just crossed back on it.
		add("数值", sigfig.String(a.Value)+unit(a.Unit)+"（限值 "+sigfig.String(a.Limit)+unit(a.Unit)+"）")
	}
	add("开始时间", clock(a.Opened)+"（北京时间）")
	if a.Retrospective {
		add("补报", "告警依据事后补传的数据，时间为事发时间")
	}
	if a.AckedAt != nil {
		add("确认", join(" ", clip(oneLine(a.AckedBy), nameMax), clock(*a.AckedAt)))
	}
	if a.Resolved != nil {
		by := "（" + clip(oneLine(a.ResolvedBy), nameMax) + "）"
		switch a.ResolvedBy {
		case "auto":
			by = "（自动）"
		case "":
			by = ""
		}
		add("解除时间", clock(*a.Resolved)+by)
	}
	if a.Escalation > 0 {
		level := "第 " + strconv.Itoa(a.Escalation) + " 级"
		if len(a.Escalated) > 0 {
			level += "（" + strings.Join(a.Escalated, " → ") + "）"
		}
		add("升级", level)
	}
	if a.Flaps > 0 {
		add("频繁", "已合并 "+strconv.Itoa(a.Flaps)+" 次重新触发")
	}
	add("说明", clip(oneLine(m.Note), noteMax))
	for _, c := range m.Contacts {
		c.Name, c.Phone = clip(oneLine(c.Name), nameMax), strings.TrimSpace(c.Phone)
		if (c.Name != "" || c.Phone != "") && !slices.Contains(s.contacts, c) && len(s.contacts) < contactsMax {
			s.contacts = append(s.contacts, c)
		}
	}
	if n.o.BaseURL != "" && a.ID != "" {
		s.link = n.o.BaseURL + "/api/v1/alerts/" + url.PathEscape(a.ID)
	}
	return s
}

// phones lists the contacts' phones once each, in order; nil when none
// has one.
func (s summary) phones() []string {
	var out []string
	for _, c := range s.contacts {
		if c.Phone != "" && !slices.Contains(out, c.Phone) {
			out = append(out, c.Phone)
		}
	}
	return out
}

// names lists the contacts by name (by phone when nameless), for the
// formats that @-mention apart from the text.
func (s summary) names() string {
	var out []string
	for _, c := range s.contacts {
		out = append(out, cmp.Or(c.Name, c.Phone))
	}
	return strings.Join(out, "、")
}

// text is the plain text of WeCom's text message; WeCom appends the
// @-mentions itself.
func (s summary) text(limit int) string {
	var b strings.Builder
	b.WriteString(s.head + "\n" + s.title + "\n")
	for _, r := range s.rows {
		b.WriteString(r.label + "：" + r.value + "\n")
	}
	if names := s.names(); names != "" {
		b.WriteString("值班：" + names + "\n")
	}
	if s.link != "" {
		b.WriteString("详情：" + s.link + "\n")
	}
	return fit(b.String(), s.foot, limit)
}

// wecomMarkdown uses the subset WeCom's robot renders: one quoted line per
// row (it has no lists) and its three font colours.
func (s summary) wecomMarkdown(limit int) string {
	var b strings.Builder
	b.WriteString(`<font color="` + s.color + `">` + s.head + "</font>\n")
	b.WriteString("**" + s.title + "**\n")
	for _, r := range s.rows {
		b.WriteString("> " + r.label + "：" + r.value + "\n")
	}
	if names := s.names(); names != "" {
		b.WriteString("> 值班：" + names + "\n")
	}
	if s.link != "" {
		b.WriteString("[查看告警](" + s.link + ")\n")
	}
	return fit(b.String(), `<font color="comment">`+s.foot+"</font>", limit)
}

// dingtalkMarkdown lays rows out as a list, which DingTalk renders a line
// each, and names each mentioned contact as @<phone>, which DingTalk
// requires of the text for the mention in "at" to show.
func (s summary) dingtalkMarkdown(limit int) string {
	var b strings.Builder
	b.WriteString("### " + s.head + "\n\n**" + s.title + "**\n\n")
	for _, r := range s.rows {
		b.WriteString("- " + r.label + "：" + r.value + "\n")
	}
	if len(s.contacts) > 0 {
		// The mentions first: were the text cut, they must stay.
		var duty []string
		for _, p := range s.phones() {
			duty = append(duty, "@"+p)
		}
		for _, c := range s.contacts {
			if c.Phone == "" {
				duty = append(duty, c.Name)
			}
		}
		b.WriteString("- 值班：" + strings.Join(duty, " ") + "\n")
	}
	if s.link != "" {
		b.WriteString("\n[查看告警](" + s.link + ")\n")
	}
	return fit(b.String()+"\n", "###### "+s.foot, limit)
}

// fit returns body followed by foot, cutting body (at a rune boundary)
// when the whole would be over limit bytes.
func fit(body, foot string, limit int) string {
	if len(body)+len(foot) <= limit {
		return body + foot
	}
	const more = "…\n"
	cut := max(limit-len(foot)-len(more), 0)
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut] + more + foot
}

// clip shortens s to at most max runes, marking the cut.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// oneLine folds line breaks, which would break a robot's layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func label(labels map[string]string, key string) string {
	if l, ok := labels[key]; ok {
		return l
	}
	return key
}

func join(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func clock(t time.Time) string { return t.In(cst).Format(timeLayout) }

func unit(u string) string {
	if u == "" {
		return ""
	}
	return " " + u
}
