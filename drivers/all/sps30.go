//go:build !no_sps30

package all

import _ "github.com/xiuhua/xiuhua/drivers/sps30" // registers "sps30"
