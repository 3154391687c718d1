module github.com/invoicelake/invoicelake

go 1.26.0
