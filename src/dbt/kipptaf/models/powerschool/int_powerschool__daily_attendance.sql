{{ union_regions('powerschool', 'int_powerschool__daily_attendance') }}
