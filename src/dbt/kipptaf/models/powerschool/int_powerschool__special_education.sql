{{ union_regions('powerschool', 'int_powerschool__special_education') }}
