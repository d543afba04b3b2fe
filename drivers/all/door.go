//go:build !no_door

package all

import _ "github.com/xiuhua/xiuhua/drivers/door" // registers "door"
