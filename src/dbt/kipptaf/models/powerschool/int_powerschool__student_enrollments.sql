{{ union_regions('powerschool', 'int_powerschool__student_enrollments') }}
