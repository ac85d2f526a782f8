{{ union_regions('powerschool', 'int_powerschool__school_attendance') }}
