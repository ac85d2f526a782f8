{{ union_regions('powerschool', 'int_powerschool__grades') }}
