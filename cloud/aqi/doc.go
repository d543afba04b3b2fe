// Package aqi computes the Air Quality Index of HJ 633 (环境空气质量指数
// (AQI) 技术规定): the individual index (IAQI) of a pollutant by linear
// interpolation between breakpoints, rounded up to an integer; the AQI as
// the largest IAQI; the primary pollutant(s); and the six categories from
// 优 (excellent) to 严重污染 (severely polluted).
//
// The breakpoints are data, never constants here: standards change.
// HJ 633-2012 was replaced by HJ 633-2026 on 2026-03-01 with different
// PM2.5 and PM10 24-hour rows, and a report over a year that spans the
// change must use each table on its own days. A Table holds one edition's
// breakpoints with the dates it is in force; a Set holds the editions and
// picks the one in force on a day. The configuration supplies them; the
// tests hold the published numbers (testdata/hj633.json).
//
// A day is a calendar day in China Standard Time (UTC+8, no daylight
// saving): the standard's daily means and dates of effect are Beijing
// time, whatever the zone of the machine that computes them.
//
// The package is pure computation: no I/O, no store.
package aqi
