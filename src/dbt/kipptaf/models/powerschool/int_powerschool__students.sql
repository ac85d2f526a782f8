{{ union_regions('powerschool', 'stg_powerschool__students') }}
