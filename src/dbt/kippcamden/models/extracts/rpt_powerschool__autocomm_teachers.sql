-- kipptaf's AutoComm teachers file, this region's rows only.
select *
from {{ source('kipptaf_extracts', 'rpt_powerschool__autocomm_teachers') }}
where code_location = '{{ var("code_location") }}'
