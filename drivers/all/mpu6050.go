//go:build !no_mpu6050

package all

import _ "github.com/xiuhua/xiuhua/drivers/mpu6050" // registers "mpu6050"
