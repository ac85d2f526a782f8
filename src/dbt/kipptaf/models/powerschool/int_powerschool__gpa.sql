{{ union_regions('powerschool', 'int_powerschool__gpa') }}
