//go:build !no_pms5003

package all

import _ "github.com/xiuhua/xiuhua/drivers/pms5003" // registers "pms5003"
