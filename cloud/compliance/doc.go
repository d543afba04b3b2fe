// Package compliance says how a district stands against its plans for a
// calendar year to date, from the hourly rollups of its stations
// (store.Rollup): the daily PM2.5 and PM10 means and the day's AQI
// (package aqi, with the HJ 633 edition in force that day), the good-day
// count and rate, the year-to-date annual means, each plan target and each
// GB 3095 annual limit met or not, and how many hours each water station
// spent above its warning and guaranteed levels.
//
// Validity follows GB 3095's data rules, with the numbers as Params: an
// hour is valid when its rollup covers at least 45 distinct minutes; the
// district's hourly value is the mean of its stations' valid hourly means;
// a daily mean needs 20 valid hours; an annual mean needs 324 valid days.
//
// Days are calendar days in China Standard Time (aqi.CST, UTC+8): the
// rollup of 15:00 UTC is 23:00 CST and belongs to that CST day, the one of
// 16:00 UTC to the next. A day still in progress when the report is made is
// listed but counted in no total: a daily mean is a whole day's.
//
// The package is pure computation: the caller reads the rollups (over
// Period) and the configuration, and serves the Report as JSON.
package compliance
