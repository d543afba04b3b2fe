//go:build !no_raingauge

package all

import _ "github.com/xiuhua/xiuhua/drivers/raingauge" // registers "raingauge"
