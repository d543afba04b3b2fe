//go:build !no_ebike

package all

import _ "github.com/xiuhua/xiuhua/drivers/ebike" // registers "ebike"
